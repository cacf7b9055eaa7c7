"""Visible control (docs/PROTOCOL.md §5.2): the daemon tells the extension which run controls a tab.

``tab.control`` is a daemon → extension request. With ``on`` true the run ``run_id`` starts working in
``tab_id``: the extension records the run against the tab, shows the in-page indicator (whose Stop button
then stops that run) and, when ``group`` is given (a tab the run opened), puts the tab into the run's own tab
group titled ``group``. With ``on`` false the run is done with the tab: the extension forgets the run there,
and hides the indicator once no run controls the tab. The group is left as it is. Idempotent both ways.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from webbridge.protocol.browser_kinds import TabId
from webbridge.protocol.fields import Message, MsgId

#: Longest tab group title (the task's first words) and indicator label.
MAX_GROUP_TITLE = 24
MAX_LABEL = 80


class TabControl(Message):
    kind: Literal["tab.control"] = "tab.control"
    tab_id: TabId
    run_id: MsgId
    on: bool
    #: What the indicator says (the task's short title); the extension's default without it.
    label: Annotated[str, Field(min_length=1, max_length=MAX_LABEL)] | None = None
    #: The run's tab group title: only for tabs the run opened (the user's own tabs are never regrouped).
    group: Annotated[str, Field(min_length=1, max_length=MAX_GROUP_TITLE)] | None = None


class TabControlled(Message):
    kind: Literal["tab.controlled"] = "tab.controlled"
    tab_id: TabId
    #: Whether the indicator shows now (a page that cannot be scripted shows none).
    shown: bool
    #: The run's tab group the tab is in, when ``group`` was given.
    group_id: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None


REQUESTS: tuple[tuple[type[Message], type[Message]], ...] = ((TabControl, TabControlled),)

__all__ = ["MAX_GROUP_TITLE", "MAX_LABEL", "REQUESTS", "TabControl", "TabControlled"]
