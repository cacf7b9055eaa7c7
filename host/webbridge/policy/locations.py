"""Where the policy keeps its files: the user's policy overlay, the grants and the audit databases."""

from __future__ import annotations

from pathlib import Path

from ..paths import Paths


def policy_file(paths: Paths) -> Path:
    """The user's policy (laid over the shipped defaults); may not exist."""
    return paths.config / "policy.toml"


def grants_db(paths: Paths) -> Path:
    return paths.data / "grants.db"


def audit_db(paths: Paths) -> Path:
    return paths.data / "audit.db"


__all__ = ["audit_db", "grants_db", "policy_file"]
