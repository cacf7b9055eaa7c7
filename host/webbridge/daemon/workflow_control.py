"""Control-socket ops for saved workflows (docs/PROTOCOL.md §7): what ``webbridge workflows`` uses.

- ``workflows.list`` → ``[{name, description, params, steps}]``
- ``workflow.show {name}`` → the workflow as JSON
- ``workflow.save {run_id, name, params?, answer?}`` → ``{name, path, steps}``: the run's successful tool
  calls as a workflow (``agent.workflows.from_transcript``); the run must have ended ``done``.

Running one is ``run.start`` with ``model = "workflow:NAME"`` and ``params``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..agent import workflows as wf
from ..errors import InvalidMessage, WorkflowInvalid
from .run_api import runs_of

if TYPE_CHECKING:
    from .server import DaemonState

Op = Callable[[dict[str, Any]], Awaitable[Any]]


def _str(args: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = args.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > 20_000:
        raise InvalidMessage(f"{key} must be a non-empty string")
    return value


def _params(args: dict[str, Any]) -> dict[str, str]:
    value = args.get("params") or {}
    if not isinstance(value, dict) or len(value) > 64 or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidMessage("params must be an object of strings")
    return dict(value)


def library(state: DaemonState) -> wf.WorkflowLibrary:
    return wf.WorkflowLibrary(state.settings.paths.data / "workflows")


def ops(state: DaemonState) -> dict[str, Op]:
    async def workflows_list(_args: dict[str, Any]) -> list[dict[str, Any]]:
        lib = library(state)
        out: list[dict[str, Any]] = []
        for name in lib.names():
            try:
                flow = lib.load(name)
            except WorkflowInvalid as exc:
                out.append({"name": name, "error": exc.message})
                continue
            out.append({"name": name, "description": flow.description, "steps": len(flow.steps),
                        "params": {k: p.model_dump() for k, p in flow.params.items()}})
        return out

    async def workflow_show(args: dict[str, Any]) -> dict[str, Any]:
        name = _str(args, "name")
        assert name is not None
        return library(state).load(name).model_dump(mode="json")

    async def workflow_save(args: dict[str, Any]) -> dict[str, Any]:
        run_id, name = _str(args, "run_id"), _str(args, "name")
        assert run_id is not None and name is not None
        answer = _str(args, "answer", required=False) or "Done."
        runs_of(state)  # RunsUnavailable when this daemon runs no agent
        runs = state.runs
        summary = (await runs.get(run_id)).summary
        if summary.status != "done":
            raise WorkflowInvalid(
                f"run {run_id} ended {summary.status}; only a run that finished can be saved")
        transcript = await runs.transcript(run_id)
        flow = wf.from_transcript(name, summary.task, transcript, _params(args), answer=answer)
        path = library(state).save(flow)
        return {"name": flow.name, "path": str(path), "steps": len(flow.steps)}

    return {"workflows.list": workflows_list, "workflow.show": workflow_show, "workflow.save": workflow_save}
