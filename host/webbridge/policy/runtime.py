"""The policy as the daemon holds it: its files opened once, the hook built, the policy reloadable.

The composition root does ``runtime = PolicyRuntime.open(settings.paths, session_id=...)``, puts
``runtime.hook`` into every run's ``ToolContext.hooks`` and ``runtime.approvals`` (the
:class:`~.approvals.ApprovalBroker` the hook asks) on the daemon state, and calls
:meth:`PolicyRuntime.close` on shutdown (that also ends the session's grants). Before each decision the
hook calls :meth:`PolicyRuntime.refresh_and_announce`: a changed policy file (mtime, size: one ``stat``) is
loaded; an invalid one is logged and the policy in force stays. A new policy is announced through
``on_change`` (the composition root sends ``policy.changed`` to every connected browser, so the extension
fetches the summary its own re-check uses). The same check runs when a browser asks for the summary and
when ``webbridge policy set`` tells the daemon it wrote the file (control op ``policy.reload``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..errors import PolicyInvalid
from ..paths import Paths
from .approvals import DEFAULT_TIMEOUT, ApprovalBroker
from .audit import AuditLog
from .grants import GrantStore
from .hook import PolicyHook
from .locations import audit_db, grants_db, policy_file
from .rules import Policy, load_policy

log = logging.getLogger("webbridge.policy.runtime")


@dataclass
class PolicyRuntime:
    paths: Paths
    session_id: str
    grants: GrantStore
    audit: AuditLog
    hook: PolicyHook
    approvals: ApprovalBroker
    clock: Callable[[], float] = time.time
    #: Awaited with the new policy after a reload that changed it (set by the composition root).
    on_change: Callable[[Policy], Awaitable[object]] | None = None
    _closed: bool = field(default=False, repr=False)
    _stamp: tuple[int, int] | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        paths: Paths,
        *,
        session_id: str,
        clock: Callable[[], float] = time.time,
        approval_timeout: float = DEFAULT_TIMEOUT,
    ) -> PolicyRuntime:
        """Load the policy and open the databases. Raises PolicyInvalid (the file names the line) or
        AuditUnavailable; nothing stays open when it raises."""
        stamp = _file_stamp(policy_file(paths))
        policy = load_policy(policy_file(paths))
        grants = GrantStore(grants_db(paths))
        try:
            audit = AuditLog(audit_db(paths))
        except BaseException:
            grants.close()
            raise
        broker = ApprovalBroker(grants, session_id=session_id, timeout=approval_timeout, clock=clock)
        hook = PolicyHook(policy=policy, grants=grants, audit=audit, clock=clock, broker=broker)
        runtime = cls(paths, session_id, grants, audit, hook, broker, clock, _stamp=stamp)
        hook.refresh = runtime.refresh_and_announce
        return runtime

    @property
    def policy(self) -> Policy:
        return self.hook.policy

    def reload(self) -> Policy:
        """Read the policy file again. On PolicyInvalid the policy in force stays (the error is raised)."""
        path = policy_file(self.paths)
        self._stamp = _file_stamp(path)
        self.hook.policy = load_policy(path)
        return self.hook.policy

    def refresh(self) -> bool:
        """Reload the policy file if it changed since it was last read (one ``stat``). True when a new
        policy is in force; an invalid file is logged (with its line) and the old policy stays, until the
        file changes again. Never raises."""
        if _file_stamp(policy_file(self.paths)) == self._stamp:
            return False
        try:
            self.reload()
        except PolicyInvalid as exc:
            log.error("the policy file changed but is invalid; the previous policy stays: %s", exc)
            return False
        log.info("policy reloaded (mode %s)", self.hook.policy.mode)
        return True

    async def refresh_and_announce(self) -> bool:
        """:meth:`refresh`, then, when a new policy is in force, await ``on_change`` with it. True when the
        policy changed. An announcement that fails is logged (the new policy stays in force); a
        cancellation propagates."""
        if not self.refresh():
            return False
        if self.on_change is not None:
            try:
                await self.on_change(self.hook.policy)
            except Exception:
                log.exception("could not announce the new policy")
        return True

    def close(self) -> None:
        """End this session's grants and close the files. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self.grants.end_session(self.session_id, self.clock())
        finally:
            self.grants.close()
            self.audit.close()


def _file_stamp(path: object) -> tuple[int, int] | None:
    try:
        st = os.stat(str(path))
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


__all__ = ["PolicyRuntime"]
