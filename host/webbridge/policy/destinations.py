"""Where a call's data would go (W8: a form on one site that posts to another).

:func:`form_action_of` picks the action URL of the form a call's element belongs to; :func:`data_out` lists
the data the call would send and to where, which the decision (:mod:`.decide`) and the data-flow guard
(:mod:`.flows`) see. Both are pure: the browser was asked before (``page.describe``, the ``live`` element).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from ..protocol.browser_kinds import Described
from .actions import ActionClass
from .proposed import DataOut


def form_action_of(cls: ActionClass, known: str | None, live: Described | None) -> str | None:
    """The action URL of the form the call's element belongs to: the live element's (``page.describe``)
    when the call types into it or activating it submits the form, else ``known`` (what the run context
    said, ``form_action_for(ref)``), which may be None."""
    if live is not None and live.form_action and (live.submits or cls is ActionClass.TYPE):
        return live.form_action
    return known


def data_out(
    cls: ActionClass, url: str, text: Any, form_action: str | None, live: Described | None
) -> list[DataOut]:
    """The data a call on the page ``url`` would send, each with its destination: typed or submitted
    ``text`` goes to the form's action URL (else the page); a click or submit on an element whose form it
    submits sends the form's field values to that form's action URL; a navigation sends its URL's query."""
    data: list[DataOut] = []
    if cls in (ActionClass.TYPE, ActionClass.SUBMIT) and isinstance(text, str) and text:
        data.append(DataOut(text, form_action or url))
    if live is not None and live.submits and form_action and cls in (ActionClass.INTERACT,
                                                                      ActionClass.SUBMIT):
        data.extend(DataOut(value, form_action) for value in live.fields if value)
    if cls is ActionClass.NAVIGATE:
        query = urllib.parse.urlsplit(url).query
        if query:
            data.append(DataOut(urllib.parse.unquote_plus(query), url))
    return data


__all__ = ["data_out", "form_action_of"]
