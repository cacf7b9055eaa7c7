"""How the daemon builds its run manager from the settings: model settings from the config file and the
environment (keys never from the config), budgets, and the model factory naming the configured server."""

from __future__ import annotations

from pathlib import Path

import pytest

from webbridge import config, errors
from webbridge.agent.wiring import build_run_manager, loop_config, model_factory
from webbridge.daemon.bridges import BridgeRegistry
from webbridge.store.runs import RunStore


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"WEBBRIDGE_HOME": str(tmp_path / "wb"), "HOME": str(tmp_path), **extra}


def test_model_settings_come_from_the_file_then_the_environment(tmp_path: Path) -> None:
    env = _env(tmp_path, WEBBRIDGE_MODEL_BASE_URL="http://127.0.0.1:9/V1", WEBBRIDGE_MAX_STEPS="7")
    cfg = config.load(env).config_file
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[daemon]\nmodel_preset = "deepseek"\nmodel = "DeepSeek-Chat"\nmax_run_cost_usd = 0.5\n')

    settings = config.load(env)

    assert (settings.model_preset, settings.model) == ("deepseek", "DeepSeek-Chat")  # case kept
    assert settings.model_base_url == "http://127.0.0.1:9/V1"
    budget = loop_config(settings).budget
    assert (budget.max_steps, budget.max_cost_usd) == (7, 0.5)


@pytest.mark.parametrize(
    ("name", "value"), [("max_steps", "0"), ("max_run_seconds", "-1"), ("max_runs", "x")]
)
def test_bad_budgets_name_the_setting(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(errors.ConfigError, match=f"WEBBRIDGE_{name.upper()}"):
        config.load(_env(tmp_path, **{f"WEBBRIDGE_{name.upper()}": value}))


async def test_the_factory_makes_the_configured_model(tmp_path: Path) -> None:
    env = _env(tmp_path, WEBBRIDGE_MODEL_BASE_URL="http://127.0.0.1:9/v1", WEBBRIDGE_MODEL="m-default")
    settings = config.load(env)
    make = model_factory(settings)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", "sk-from-env")
        chosen = make("m-asked")
        default = make(None)
    try:
        assert chosen.name.endswith("m-asked") and default.name.endswith("m-default")
    finally:
        for model in (chosen, default):
            await model.aclose()  # type: ignore[attr-defined]


def test_a_missing_key_refuses_the_run_before_it_starts(tmp_path: Path) -> None:
    settings = config.load(_env(tmp_path, WEBBRIDGE_MODEL="m"))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("OPENAI_API_KEY", raising=False)
        with pytest.raises(errors.ModelKeyMissing, match="OPENAI_API_KEY"):
            model_factory(settings)(None)


async def test_the_daemon_manager_has_the_default_tools(tmp_path: Path) -> None:
    settings = config.load(_env(tmp_path))
    store = await RunStore.open(tmp_path / "runs.db")
    try:
        runs = build_run_manager(settings, store, BridgeRegistry(1))
        names = {spec.name for spec in runs.registry.specs()}
        assert {"snapshot", "click", "read_file"} <= names
        assert runs.max_runs == settings.max_runs and runs.config.budget.max_steps == settings.max_steps
        await runs.aclose()
    finally:
        await store.aclose()
