"""The daemon's SQLite store: one connection and one writer thread per file (:mod:`.db`); runs."""

from .db import Database
from .runs import RunStore

__all__ = ["Database", "RunStore"]
