"""Saved workflows: a recorded, parameterised sequence of tool calls with checks, replayed without a model.

A workflow replays through the same loop, tools, policy and audit as a model-driven run:
:class:`WorkflowModel` implements :class:`~webbridge.agent.chat.Model` and "answers" each turn with the next
recorded tool call, after checking the previous call's result. So a replay streams the same events, lands in
the same store and obeys the same grants as any other run; only the planner differs.

- Steps name elements by role and accessible name (``target``), never by ref: refs live only as long as the
  page. Before such a step the replay asks for a ``snapshot`` in ``find`` mode and takes the ref of the
  element whose role and name match exactly; no match fails the run (it never acts on a near miss).
- ``{{name}}`` placeholders in arguments and in the answer are filled from the run's parameters and from
  values earlier steps ``save`` (a regular expression over the step's result text; group 1 when it has one).
- ``expect`` checks run on each step's result; a failed check, an error result or a missing placeholder ends
  the run with :class:`WorkflowFailed` saying which step and why.

:func:`from_transcript` turns a successful run's transcript into a workflow (refs become role+name targets,
parameter values become placeholders). :func:`load` / :func:`save` read and write the JSON form.

One module per concept, all re-exported here (``from webbridge.agent.workflows import X``):

- ``file_format``: the file format (:class:`Workflow`, its steps, checks and targets), placeholders
  (:func:`fill`), :func:`load` and :func:`save`;
- ``replay``: :class:`WorkflowModel` and :func:`ref_for`;
- ``record``: :func:`from_transcript`;
- ``library``: :class:`WorkflowLibrary`, the folder of saved workflows.
"""

from __future__ import annotations

from .file_format import (
    FORMAT,
    MAX_STEPS,
    PLACEHOLDER,
    Check,
    Name,
    Param,
    Step,
    Target,
    Workflow,
    fill,
    load,
    save,
)
from .library import WorkflowLibrary
from .record import from_transcript
from .replay import FIND_TOOL, REF, WorkflowModel, ref_for

__all__ = [
    "FIND_TOOL",
    "FORMAT",
    "MAX_STEPS",
    "PLACEHOLDER",
    "REF",
    "Check",
    "Name",
    "Param",
    "Step",
    "Target",
    "Workflow",
    "WorkflowLibrary",
    "WorkflowModel",
    "fill",
    "from_transcript",
    "load",
    "ref_for",
    "save",
]
