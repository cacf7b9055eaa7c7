"""The daemon's composition root: resources entered in order on an ``AsyncExitStack``, released in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import signal
import sys

from . import __version__
from . import log as logsetup
from .agent.wiring import build_run_manager
from .config import Settings
from .daemon.keystore import KeyStore
from .daemon.lock import InstanceLock, write_pid
from .daemon.policy_api import broadcast_policy_changed
from .daemon.server import DaemonState, Server
from .errors import KeystoreInsecure, PolicyError, StoreError
from .paths import ensure_private_dir
from .policy.runtime import PolicyRuntime
from .store.runs import RunStore

log = logging.getLogger("webbridge.app")


async def run_daemon(settings: Settings, *, stderr_logs: bool = True) -> int:
    """Run until SIGTERM/SIGINT or a ``shutdown`` request. Raises AlreadyRunning if another daemon runs."""
    paths = settings.paths
    for folder in (paths.config, paths.data, paths.state, paths.runtime):
        ensure_private_dir(folder)
    logsetup.setup(settings.log_level, paths.log_dir, stderr=stderr_logs)
    lock = InstanceLock(paths.lock)
    lock.acquire()
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(lock.release)
        keystore = KeyStore(paths.keys)
        try:
            keystore.load()
        except KeystoreInsecure as exc:
            log.error("%s", exc)  # serve anyway: `webbridge doctor` and `pair --reset` need a daemon
        state = DaemonState(settings, keystore)
        runs = None
        try:
            # Fail closed: without its policy (an invalid file, an unusable audit log) no run starts.
            policy = PolicyRuntime.open(paths, session_id="s-" + secrets.token_hex(8),
                                        approval_timeout=settings.approval_timeout_s)
            stack.callback(policy.close)  # after the runs end (pushed before them): ends session grants
            state.policy, state.approvals = policy, policy.approvals
            # A reloaded policy file is announced to the browsers (their re-check fetches the new summary).
            policy.on_change = functools.partial(broadcast_policy_changed, state)
            store = await RunStore.open(paths.data / "runs.db")
        except (StoreError, PolicyError) as exc:
            log.error("%s; serving without runs", exc)  # pairing and `webbridge doctor` still work
        else:
            stack.push_async_callback(store.aclose)
            runs = state.runs = build_run_manager(settings, store, state.bridges, policy)
            await runs.recover()  # runs a crash left `running` end `interrupted`, on record
        server = Server(state)
        await server.start()
        stack.push_async_callback(server.aclose)
        if runs is not None:
            # Pushed after the server: runs end `interrupted` while their bridges are still there.
            stack.push_async_callback(runs.aclose)
        if settings.api_enabled:  # local HTTP + WebSocket API on loopback (api/, PROTOCOL.md §9)
            from .api.server import ApiServer

            api = ApiServer(state, settings)
            stack.push_async_callback(api.aclose)  # closed before the runs: its watchers end first
            await api.start()
        write_pid(paths.pid_file)
        stack.callback(_remove, paths.pid_file)
        loop = asyncio.get_running_loop()
        if sys.platform != "win32":
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, state.request_stop)
                stack.callback(loop.remove_signal_handler, sig)
        log.info("webbridge daemon %s ready (pid %s)", __version__, state.pid)
        await state.stop_event.wait()
        log.info("stopping")
    return 0


def _remove(path: object) -> None:
    from pathlib import Path

    with contextlib.suppress(FileNotFoundError):
        Path(str(path)).unlink()
