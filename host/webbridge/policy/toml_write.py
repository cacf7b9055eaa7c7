"""Write a policy overlay back as TOML (``policy set``). Only the shapes a policy has: strings, lists of
strings and tables of those, one level of sub-tables. Comments of an edited file are not kept."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import atomic
from .rules import quote_key

HEADER = (
    "# WebBridge permission policy: your changes, laid over the shipped defaults.\n"
    "# Written by `webbridge policy set` (comments are not kept); `webbridge policy show` prints all.\n"
)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "".join(f"    {_value(v)},\n" for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to the policy file")


def dumps(data: Mapping[str, Any]) -> str:
    out = [HEADER]
    for key, value in data.items():
        if not isinstance(value, dict):
            out.append(f"{quote_key(key)} = {_value(value)}\n")
    for key, value in data.items():
        if not isinstance(value, dict):
            continue
        flat = {k: v for k, v in value.items() if not isinstance(v, dict)}
        if flat or not value:
            out.append(f"\n[{quote_key(key)}]\n")
            out.extend(f"{quote_key(k)} = {_value(v)}\n" for k, v in flat.items())
        for sub, table in value.items():
            if isinstance(table, dict):
                out.append(f"\n[{quote_key(key)}.{quote_key(sub)}]\n")
                out.extend(f"{quote_key(k)} = {_value(v)}\n" for k, v in table.items())
    return "".join(out)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` whole (temp file in the same folder, fsync, rename), mode 0600."""
    atomic.write_atomic(path, text, mode=0o600, make_parent=True)


__all__ = ["dumps", "write_atomic"]
