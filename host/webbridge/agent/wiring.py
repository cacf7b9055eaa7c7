"""How the daemon builds its run manager from the settings: the model factory, the tools, the budgets."""

from __future__ import annotations

from ..config import Settings
from ..policy.runtime import PolicyRuntime
from ..store.runs import RunStore
from ..tools.registry import ToolRegistry, default_registry
from .budget import Budget
from .chat import Model
from .loop import LoopConfig
from .runs import BridgeLookup, ModelFactory, RunManager
from .workflows import WorkflowLibrary


def model_factory(settings: Settings) -> ModelFactory:
    """``factory(name)``: a model of the configured preset; ``name`` (a run's ``model``) overrides the
    configured model. Raises ``ConfigError`` / ``ModelKeyMissing`` (the run is then not started)."""

    def make(name: str | None) -> Model:
        from .models import create_model  # httpx is imported only when a run starts

        return create_model(
            settings.model_preset,
            model=name or settings.model or None,
            base_url=settings.model_base_url or None,
        )

    return make


def workflow_library(settings: Settings) -> WorkflowLibrary:
    """The user's saved workflows (``data/workflows``)."""
    return WorkflowLibrary(settings.paths.data / "workflows")


def loop_config(settings: Settings) -> LoopConfig:
    return LoopConfig(
        budget=Budget(
            max_steps=settings.max_steps,
            max_tokens=settings.max_run_tokens,
            max_seconds=settings.max_run_seconds,
            max_cost_usd=settings.max_run_cost_usd,
        )
    )


def build_run_manager(
    settings: Settings, store: RunStore, bridges: BridgeLookup, policy: PolicyRuntime | None = None
) -> RunManager:
    """The daemon's run manager; with ``policy`` every tool call passes its hook (decided, audited, asked)."""
    return RunManager(
        store=store,
        model_factory=model_factory(settings),
        registry=_registry(policy),
        bridges=bridges,
        workspace_root=settings.paths.data / "workspace",
        workflow_factory=workflow_library(settings).replay,
        config=loop_config(settings),
        max_runs=settings.max_runs,
        hooks=() if policy is None else (policy.hook,),
        plan_mode=(lambda: False) if policy is None else (lambda: policy.policy.mode == "ask"),
    )


def _registry(policy: PolicyRuntime | None) -> ToolRegistry:
    """The default tools; with a policy, also ``propose_plan`` (plan mode asks through its broker)."""
    registry = default_registry()
    if policy is not None:
        from ..policy.plan import plan_tool

        registry.add(plan_tool(policy.hook))
    return registry


__all__ = ["build_run_manager", "loop_config", "model_factory", "workflow_library"]
