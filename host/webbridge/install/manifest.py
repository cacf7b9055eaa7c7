"""Build, render and validate the native-messaging host manifest (``com.webbridge.host.json``).

The browser rejects a manifest for reasons it reports with one misleading message ("Specified native
messaging host not found."), so :func:`validate` names each problem instead: file name not equal to
``name``, ``path`` not absolute, ``type`` not ``stdio``, an origin without its trailing ``/``, our extension
missing. The field rules come from developer.chrome.com "Native messaging" § "Native messaging host".
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from webbridge import meta

__all__ = [
    "DESCRIPTION",
    "Problem",
    "ProblemCode",
    "build",
    "file_name",
    "origin_ids",
    "read",
    "render",
    "validate",
]

DESCRIPTION = "WebBridge native-messaging relay (connects the extension to the local WebBridge daemon)"

# Chrome: lowercase alphanumerics, "_" and "."; no leading/trailing dot, no "..".
_NAME_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
_ORIGIN_RE = re.compile(r"^chrome-extension://([a-p]{32})/$")
_LOOSE_ORIGIN_RE = re.compile(r"^chrome-extension://([a-p]{32})/?$")


class ProblemCode(StrEnum):
    UNREADABLE = "unreadable"
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    MISSING_FIELD = "missing_field"
    BAD_NAME = "bad_name"
    WRONG_NAME = "wrong_name"
    FILE_NAME_MISMATCH = "file_name_mismatch"
    BAD_DESCRIPTION = "bad_description"
    BAD_TYPE = "bad_type"
    BAD_PATH = "bad_path"
    PATH_NOT_ABSOLUTE = "path_not_absolute"
    WRONG_PATH = "wrong_path"
    BAD_ORIGINS = "bad_origins"
    BAD_ORIGIN = "bad_origin"
    MISSING_ORIGIN = "missing_origin"


@dataclass(frozen=True)
class Problem:
    code: ProblemCode
    message: str

    def __str__(self) -> str:
        return self.message


def file_name(host_name: str = meta.HOST_NAME) -> str:
    """The manifest's file name: it must equal ``"name"`` plus ``.json`` or the browser ignores it."""
    return f"{host_name}.json"


def build(launcher: Path, extension_ids: Sequence[str], *, host_name: str = meta.HOST_NAME) -> dict[str, Any]:
    """The manifest for ``launcher`` serving ``extension_ids`` (deduplicated, order kept).

    Raises ``ValueError`` for an id that is not 32 letters a-p.
    """
    for ext_id in extension_ids:
        if not meta.is_extension_id(ext_id):
            raise ValueError(f"not an extension id (32 letters a-p): {ext_id!r}")
    return {
        "name": host_name,
        "description": DESCRIPTION,
        "path": str(launcher),
        "type": "stdio",
        "allowed_origins": [meta.origin_of(i) for i in dict.fromkeys(extension_ids)],
    }


def render(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2) + "\n"


def read(path: Path) -> tuple[Any, list[Problem]]:
    """Load ``path`` as JSON; on failure the value is ``None`` and the list names why."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(ProblemCode.UNREADABLE, f"cannot read {path}: {exc}")]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        return None, [Problem(ProblemCode.NOT_JSON, f"{path} is not valid JSON ({exc})")]


def validate(
    data: Any,
    *,
    platform: str,
    file: str | None = None,
    host_name: str = meta.HOST_NAME,
    expected_path: Path | None = None,
    required_ids: Sequence[str] = (),
) -> list[Problem]:
    """Every problem with a parsed manifest; an empty list means the browser will accept it.

    ``file`` is the manifest's file name (checked against ``name``); ``expected_path`` the launcher it should
    name; ``required_ids`` the extension ids that must appear in ``allowed_origins``. On Windows ``path`` may
    be relative to the manifest's folder, so absoluteness is only required on Linux and macOS.
    """
    if not isinstance(data, dict):
        return [Problem(ProblemCode.NOT_OBJECT, "the manifest is not a JSON object")]
    problems: list[Problem] = []
    for key in ("name", "description", "path", "type", "allowed_origins"):
        if key not in data:
            problems.append(Problem(ProblemCode.MISSING_FIELD, f"field {key!r} is missing"))

    name = data.get("name")
    if "name" in data:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            problems.append(Problem(ProblemCode.BAD_NAME, f"name {name!r} is not a valid host name"))
        elif name != host_name:
            problems.append(Problem(ProblemCode.WRONG_NAME, f"name is {name!r}, expected {host_name!r}"))
    if file is not None and isinstance(name, str) and file != file_name(name):
        problems.append(
            Problem(ProblemCode.FILE_NAME_MISMATCH, f"file {file!r} must be named {file_name(name)!r}")
        )

    if "description" in data and not isinstance(data["description"], str):
        problems.append(Problem(ProblemCode.BAD_DESCRIPTION, "description must be a string"))
    if "type" in data and data["type"] != "stdio":
        problems.append(Problem(ProblemCode.BAD_TYPE, f"type is {data['type']!r}, must be 'stdio'"))

    path = data.get("path")
    if "path" in data:
        if not isinstance(path, str) or not path:
            problems.append(Problem(ProblemCode.BAD_PATH, "path must be a non-empty string"))
        else:
            if platform != "win32" and not PurePosixPath(path).is_absolute():
                problems.append(Problem(ProblemCode.PATH_NOT_ABSOLUTE, f"path {path!r} is not absolute"))
            if expected_path is not None and path != str(expected_path):
                problems.append(
                    Problem(ProblemCode.WRONG_PATH, f"path is {path!r}, expected {str(expected_path)!r}")
                )

    origins = data.get("allowed_origins")
    if "allowed_origins" in data:
        if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
            problems.append(Problem(ProblemCode.BAD_ORIGINS, "allowed_origins must be a list of strings"))
        else:
            for origin in origins:
                if not _ORIGIN_RE.match(origin):
                    hint = " (the trailing '/' is required)" if _ORIGIN_RE.match(origin + "/") else ""
                    problems.append(Problem(ProblemCode.BAD_ORIGIN, f"origin {origin!r} is invalid{hint}"))
            for ext_id in required_ids:
                if meta.origin_of(ext_id) not in origins:
                    problems.append(
                        Problem(
                            ProblemCode.MISSING_ORIGIN,
                            f"allowed_origins does not list {meta.origin_of(ext_id)}",
                        )
                    )
    return problems


def origin_ids(data: Any) -> list[str]:
    """The extension ids a parsed manifest names (a missing trailing ``/`` is forgiven here)."""
    if not isinstance(data, dict) or not isinstance(data.get("allowed_origins"), list):
        return []
    found: list[str] = []
    for origin in data["allowed_origins"]:
        match = _LOOSE_ORIGIN_RE.match(origin) if isinstance(origin, str) else None
        if match:
            found.append(match.group(1))
    return found
