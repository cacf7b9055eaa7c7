"""``webbridge demo``: a real browser, paired with a private daemon, carrying out a real task for the user.

Everything lives in a throwaway folder: the browser profile and the daemon's home (keys, logs, socket, run
store). The demo serves a small invoicing portal on 127.0.0.1 (:mod:`.portal`) and starts Chromium with the
extension (headless when there is no display, and it says so). It signs in to the portal in that browser as
the user would, so the agent starts in a logged-in session; then it pairs the extension with the daemon the
way a user does — both sides show the six-digit code and the user confirms it (``--yes`` confirms for you).

The task: collect the open invoices into a Markdown file. Without an API key it runs as the bundled saved
workflow ``open-invoices`` (recorded tool calls with checks, replayed by the daemon's run manager with no
model: the same loop, tools, policy and events as any run). With a model configured
(``WEBBRIDGE_MODEL_PRESET`` and its key, or ``--agent``) the same goal goes to the agent. Steps stream
live; permission prompts are asked here (``--yes`` allows them for this task). It ends by printing where the
file is.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from .. import paths as paths_mod
from ..errors import WebBridgeError
from . import portal as portal_mod

WORKFLOW = Path(__file__).with_name("open-invoices.json")


def _say(text: str) -> None:
    print(text, flush=True)


def run(*, yes: bool, headed: bool | None, out: Path, keep: bool, agent: bool = False) -> int:
    """Run the demo. Returns an exit code; raises WebBridgeError for failures the user must act on."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("webbridge demo needs Playwright: run scripts/setup.sh (or pip install 'webbridge[test]')",
              file=sys.stderr)
        return 1
    from ..agent.workflows import Workflow, fill
    from ..daemon.client import ControlClient
    from ..launch import find_chromium, launch

    chromium = find_chromium()
    use_agent = agent or bool(os.environ.get("WEBBRIDGE_MODEL_PRESET"))
    work = Path(tempfile.mkdtemp(prefix="webbridge-demo-"))
    # The daemon the demo starts (through the relay or the control client) inherits this environment.
    os.environ[paths_mod.HOME_ENV] = str(work / "home")
    where = paths_mod.resolve()
    if headed is None:
        headed = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    _say(f"Chromium: {chromium} ({'with a window' if headed else 'headless: no display found'})")
    _say(f"Throwaway profile and daemon home: {work}")
    control: ControlClient | None = None
    try:
        with portal_mod.serve() as site, sync_playwright() as p:
            browser = launch(p, work / "profile", headless=not headed)
            try:
                page = browser.context.new_page()
                page.goto(site.login_url)
                page.fill("#email", portal_mod.USER)
                page.fill("#password", portal_mod.PASSWORD)
                page.click("#sign-in")
                page.wait_for_selector("text=Welcome back", timeout=30_000)
                _say(f"Signed in to the Acme portal at {site.base} as {portal_mod.USER}, in the browser.")

                control = ControlClient.connect(where, start=True)
                paired = _pair(browser, control, yes)
                if paired is None:
                    return 1

                flow = Workflow.model_validate_json(WORKFLOW.read_bytes())
                params = {"portal": site.base, "out": "open-invoices.md"}
                task = fill(flow.task, params)
                start: dict[str, Any] = {"task": task, "params": params}
                if use_agent:
                    _say(f"\nTask for the agent: {task}\n")
                else:
                    folder = where.data / "workflows"
                    folder.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(WORKFLOW, folder / WORKFLOW.name)
                    start["model"] = f"workflow:{flow.name}"
                    _say("\nNo model configured (set WEBBRIDGE_MODEL_PRESET and its API key to use one):")
                    _say(f"running the task as the saved workflow '{flow.name}' ({len(flow.steps)} steps).")
                    _say(f"Task: {task}\n")
                code, written = _follow(where, start, yes)
                if code != 0:
                    hint = f"its log is in {where.log_dir}" if keep else "run again with --keep for its log"
                    _say(f"\nThe run did not finish (exit {code}); {hint}.")
                    return code
                if written is None:
                    _say("\nThe run finished but wrote no file.")
                    return 1
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(out.name + ".tmp")
                shutil.copyfile(written, tmp)
                os.replace(tmp, out)
                _say(f"\n{out.read_text(encoding='utf-8').strip()}\n")
                _say(f"Result written to {out.resolve()}")
            finally:
                browser.context.close()
    finally:
        if control is not None:
            try:
                control.call("shutdown", deadline=5)
            except WebBridgeError as exc:  # the daemon may already be gone: nothing left to stop
                print(f"note: stopping the demo daemon: {exc}", file=sys.stderr)
            control.close()
        if keep:
            _say(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _pair(browser: Any, control: Any, yes: bool) -> str | None:
    """Pair the extension the way a user does; returns the pairing id, or None when the user says no."""
    popup = browser.extension_page("ui/popup.html")
    popup.wait_for_selector("#status[data-state='not_paired']", timeout=30_000)
    _say("The extension is running and not paired yet. Clicking “Pair this browser”…")
    popup.click("#pair-button")
    shown = popup.locator("#sas:not([hidden])")
    shown.wait_for(timeout=30_000)
    browser_code = shown.inner_text().strip()
    pending = control.call("pairs.pending", deadline=40, wait=30)
    if not pending:
        raise RuntimeError("the daemon saw no pairing request")
    request = pending[-1]
    daemon_code = f"{request['code'][:3]} {request['code'][3:]}"
    _say(f"\n  The extension popup shows:  {browser_code}")
    _say(f"  `webbridge pair` shows:     {daemon_code}\n")
    if yes:
        _say("--yes: confirming for you.")
        answer = "y"
    else:
        answer = input("Do the two codes match? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        control.call("pairs.reject", pair_id=request["pair_id"])
        _say("Not confirmed: pairing rejected, nothing stored.")
        return None
    popup.click("#confirm-button")
    done = control.call("pairs.confirm", deadline=70, pair_id=request["pair_id"], wait=60)
    if not done.get("completed"):
        raise RuntimeError("the extension did not confirm the pairing in time")
    popup.wait_for_selector("#status[data-state='connected']", timeout=30_000)
    popup.close()
    _say(f"Paired ({done['pairing_id']}); the popup says Connected.")
    return str(done["pairing_id"])


def _follow(where: paths_mod.Paths, start: dict[str, Any], yes: bool) -> tuple[int, Path | None]:
    """Start the run, print its steps live, answer permission prompts; returns (exit code, file written)."""
    from ..cli.run import Renderer, RunClient, exit_code
    from ..daemon.client import ControlClient

    written: list[Path] = []
    renderer = Renderer(sys.stdout, sys.stdout)

    def on_event(event: dict[str, Any]) -> None:
        renderer(event)
        if event.get("type") == "tool.finished" and event.get("tool") == "write_file" and event.get("ok"):
            written.extend(Path(a) for a in event.get("artifacts") or ())
        if event.get("type") == "approval.requested":
            _answer(where, event, yes, ControlClient)

    with RunClient.connect(where) as client:
        run_id = str(client.call("run.start", **start)["run_id"])
        client.stream("run.watch", on_event, run_id=run_id, after_seq=0)
    renderer.finish()
    return exit_code(renderer.outcome), (written[-1] if written else None)


#: How a prompt names each action class ("The agent asks to ...").
_PHRASES = {
    "navigate": "open a page", "interact": "interact with", "type": "type into", "submit": "submit",
    "upload": "upload a file to", "download": "download from", "script": "run a script on",
    "network": "read the network log of", "file_read": "read a file in its workspace",
    "file_write": "write a file in its workspace", "schedule": "schedule a task", "spawn": "start sub-agents",
}  # fmt: skip


def _answer(where: paths_mod.Paths, event: dict[str, Any], yes: bool, control_cls: Any) -> None:
    """A permission prompt, drawn from the structured request (never from model text)."""
    request = event.get("request") or {}
    action = str(request.get("action") or "")
    verb = str(request.get("verb") or action)
    what = verb if request.get("irreversible") else _PHRASES.get(action, verb)
    element = request.get("element_name")
    target = f" the {request.get('element_role')} “{element}”" if element else ""
    site = request.get("domain") or request.get("origin")
    _say(f"  ? The agent asks to {what}{target}{f' on {site}' if site else ''}.")
    if yes:
        _say("    --yes: allowing it for this task.")
        allow = True
    else:
        allow = input("    Allow for this task? [y/N] ").strip().lower() in ("y", "yes")
    with control_cls.connect(where) as control:
        # Irreversible actions and data leaving for another site are approved once, never for the task.
        once = bool(request.get("irreversible") or request.get("flows"))
        control.call("approval.answer", approval_id=event["approval_id"], allow=allow,
                     lifetime="once" if once else "task")


__all__ = ["run"]
