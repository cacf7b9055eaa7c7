"""The install record (``paths.install_record``): exactly what ``webbridge install`` wrote.

``uninstall`` removes what the record lists and nothing else; ``doctor`` reads it to know which targets
(system folders, custom ``--user-data-dir`` folders) and which extension ids to check. One JSON object::

    {"format": 1, "host": "com.webbridge.host", "python": "...", "webbridge_home": null,
     "extension_ids": ["..."],
     "files": [{"path": "...", "role": "launcher|manifest", "browser": "chrome|null",
                "scope": "user|system|profile"}],
     "registry": [{"hive": "HKCU", "key": "Software\\\\...\\\\com.webbridge.host", "value": "<manifest path>",
                   "browser": "chrome", "scope": "user"}],
     "dirs": ["folders install created; removed on uninstall when empty"],
     "user_data_dirs": ["..."]}
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from webbridge import meta
from webbridge.errors import ConfigError
from webbridge.install._fs import atomic_write
from webbridge.install.registry import Hive

__all__ = ["FileEntry", "InstallRecord", "RegistryEntry", "Scope"]

FORMAT = 1
Scope = Literal["user", "system", "profile"]


@dataclass(frozen=True)
class FileEntry:
    path: str
    role: Literal["launcher", "manifest"]
    browser: str | None = None
    scope: Scope = "user"


@dataclass(frozen=True)
class RegistryEntry:
    hive: Hive
    key: str
    value: str
    browser: str
    scope: Scope


@dataclass
class InstallRecord:
    python: str = ""
    webbridge_home: str | None = None
    extension_ids: list[str] = field(default_factory=lambda: [meta.EXTENSION_ID])
    files: list[FileEntry] = field(default_factory=list)
    registry: list[RegistryEntry] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    user_data_dirs: list[str] = field(default_factory=list)

    # --- editing ---------------------------------------------------------------------------------------

    def add_file(self, entry: FileEntry) -> None:
        self.files = [f for f in self.files if f.path != entry.path] + [entry]

    def add_registry(self, entry: RegistryEntry) -> None:
        same = (entry.hive, entry.key.lower())
        self.registry = [r for r in self.registry if (r.hive, r.key.lower()) != same]
        self.registry.append(entry)

    def add_dirs(self, folders: list[Path]) -> None:
        for folder in folders:
            if str(folder) not in self.dirs:
                self.dirs.append(str(folder))

    def add_user_data_dir(self, folder: Path) -> None:
        if str(folder) not in self.user_data_dirs:
            self.user_data_dirs.append(str(folder))

    def is_empty(self) -> bool:
        return not (self.files or self.registry)

    # --- persistence -----------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {"format": FORMAT, "host": meta.HOST_NAME, **data}

    def save(self, path: Path) -> None:
        """Write atomically; the folder must exist. Raises ``OSError``."""
        atomic_write(path, json.dumps(self.to_json(), indent=2) + "\n", mode=0o600)

    @classmethod
    def load(cls, path: Path) -> InstallRecord | None:
        """The record at ``path``, ``None`` when there is none. Raises :class:`ConfigError` if unreadable."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(f"cannot read the install record {path}: {exc}") from exc
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("unknown format")
            return cls(
                python=str(data.get("python", "")),
                webbridge_home=data.get("webbridge_home"),
                extension_ids=[str(i) for i in data.get("extension_ids", [meta.EXTENSION_ID])],
                files=[FileEntry(**cast(dict[str, Any], f)) for f in data.get("files", [])],
                registry=[RegistryEntry(**cast(dict[str, Any], r)) for r in data.get("registry", [])],
                dirs=[str(d) for d in data.get("dirs", [])],
                user_data_dirs=[str(d) for d in data.get("user_data_dirs", [])],
            )
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"the install record {path} is damaged ({exc}); remove it, reinstall") from exc
