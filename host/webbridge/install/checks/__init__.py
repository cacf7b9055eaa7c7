"""The doctor's checks, one module per area: :mod:`.record` (the install record), :mod:`.launcher` (the
script every manifest points at), :mod:`.manifests` (the browsers found, every manifest target, and other
manifests that claim us), :mod:`.daemon` (the daemon, its key store and pairing).

Every area returns :class:`Check` findings and never raises for what it finds broken; :mod:`..doctor` runs
them in order and :mod:`..repair` fixes the ``fixable`` ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from webbridge.install.record import Scope
from webbridge.install.targets import Target

__all__ = ["FIX_HINT", "Check", "Status"]

Status = Literal["ok", "warn", "fail"]
FIX_HINT = "run `webbridge doctor --fix`"


@dataclass(frozen=True)
class Check:
    """One finding. ``fix`` is what a human would do; ``fixable`` says whether
    :func:`~webbridge.install.doctor.fix` can do it."""

    id: str
    browser: str | None
    status: Status
    message: str
    fix: str = ""
    fixable: bool = False
    path: str | None = None
    scope: Scope | None = None  # launcher checks: which launcher (user or system)
    target: Target | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "browser": self.browser,
            "status": self.status,
            "message": self.message,
            "fix": self.fix,
            "fixable": self.fixable,
            "path": self.path,
            "scope": self.scope or (self.target.scope if self.target else None),
        }
