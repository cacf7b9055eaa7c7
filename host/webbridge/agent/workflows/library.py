"""The user's library of saved workflows: one JSON file per workflow in one folder."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from ...errors import WorkflowInvalid
from .file_format import Workflow, load, save
from .replay import WorkflowModel


class WorkflowLibrary:
    """The user's saved workflows: one ``NAME.json`` file each in one folder (the daemon's data folder).

    Names are validated before they touch the file system (no path tricks: ``Name`` allows only
    ``[a-z0-9._-]`` and no leading dot). Reading a missing workflow raises :class:`WorkflowInvalid`.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_of(self, name: str) -> Path:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", name) or ".." in name:
            raise WorkflowInvalid(f"{name!r} is not a workflow name (lowercase letters, digits, . _ -)")
        return self.folder / f"{name}.json"

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json") if not p.name.startswith("."))

    def load(self, name: str) -> Workflow:
        path = self.path_of(name)
        if not path.is_file():
            raise WorkflowInvalid(f"no saved workflow named {name!r} (in {self.folder})")
        return load(path)

    def save(self, workflow: Workflow) -> Path:
        return save(workflow, self.path_of(workflow.name))

    def replay(self, name: str, params: Mapping[str, str]) -> WorkflowModel:
        """The replay model of ``name`` bound to ``params`` (the run manager's workflow factory)."""
        return WorkflowModel(self.load(name), params)
