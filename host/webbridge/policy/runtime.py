"""The policy as the daemon holds it: its files opened once, the hook built, the policy reloadable.

The composition root does ``runtime = PolicyRuntime.open(settings.paths, session_id=...)``, puts
``runtime.hook`` into every run's ``ToolContext.hooks``, calls :meth:`PolicyRuntime.reload` when the policy
file changes, and :meth:`PolicyRuntime.close` on shutdown (that also ends the session's grants).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..paths import Paths
from .audit import AuditLog
from .grants import GrantStore
from .hook import PolicyHook
from .locations import audit_db, grants_db, policy_file
from .rules import Policy, load_policy


@dataclass
class PolicyRuntime:
    paths: Paths
    session_id: str
    grants: GrantStore
    audit: AuditLog
    hook: PolicyHook
    clock: Callable[[], float] = time.time
    _closed: bool = field(default=False, repr=False)

    @classmethod
    def open(cls, paths: Paths, *, session_id: str, clock: Callable[[], float] = time.time) -> PolicyRuntime:
        """Load the policy and open the databases. Raises PolicyInvalid (the file names the line) or
        AuditUnavailable; nothing stays open when it raises."""
        policy = load_policy(policy_file(paths))
        grants = GrantStore(grants_db(paths))
        try:
            audit = AuditLog(audit_db(paths))
        except BaseException:
            grants.close()
            raise
        hook = PolicyHook(policy=policy, grants=grants, audit=audit, clock=clock)
        return cls(paths, session_id, grants, audit, hook, clock)

    @property
    def policy(self) -> Policy:
        return self.hook.policy

    def reload(self) -> Policy:
        """Read the policy file again. On PolicyInvalid the policy in force stays (the error is raised)."""
        self.hook.policy = load_policy(policy_file(self.paths))
        return self.hook.policy

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


__all__ = ["PolicyRuntime"]
