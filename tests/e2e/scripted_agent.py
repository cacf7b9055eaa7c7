"""What the model stand-ins (``demo_agent.py``, ``opener_agent.py``: dynamic handlers of the scripted model
server) share: building a tool call, and reading a ref out of a snapshot the way a model would."""

from __future__ import annotations

import re

from webbridge.testing.model_script import Reply, ScriptToolCall


def tool_call(call_id: str, name: str, **arguments: object) -> Reply:
    """A reply that calls one tool."""
    return Reply(tool_calls=(ScriptToolCall(id=call_id, name=name, arguments=dict(arguments)),))


def ref_in(text: str, role: str, name: str) -> str:
    """The ref on the first ``role "name" … ref`` line of a snapshot text. Raises ValueError when there is
    none (the stand-in then fails loudly, as a model would be stuck)."""
    found = re.search(rf'{role} "{re.escape(name)}"[^\n]*?\b((?:f\d+)?e\d+)\b', text)
    if found is None:
        raise ValueError(f"no {role} {name!r} in the snapshot")
    return found.group(1)
