"""A stand-in for a model that follows its own clicks into new tabs: a dynamic handler for the scripted model
server (``--handler tests.e2e.opener_agent:agent``) used by ``test_visible_control.py``. The new tabs' ids
exist only once the run has clicked, so the plan reads them from the ``tabs_list`` result the way a model
would. On the fixture site's ``/opener`` page it clicks "Open the report" (``target=_blank``) and "Open a
window" (``window.open``), lists the tabs, snapshots both new tabs, then tries the tab the user opened from
"Open the help" before the run. It fails loudly (an error reply: the run fails) when a result is not what
it needs; what the tools answered is for the test to judge (the server's recorded requests)."""

from __future__ import annotations

import re

from webbridge.testing.model_script import RecordedRequest, Reply

from .scripted_agent import ref_in, tool_call

#: The pages the three openers lead to, in the order the plan snapshots them.
REPORT, WINDOW, HELP = "/page/1?from=opener", "/page/3?from=opener", "/page/2?from=opener"


def _call(n: int, name: str, **arguments: object) -> Reply:
    return tool_call(f"o{n}", name, **arguments)


_ref = ref_in


def _tab(listing: str, path: str) -> int:
    found = re.search(rf"\[(\d+)\][^\n]*?{re.escape(path)}", listing)
    if found is None:
        raise ValueError(f"no tab showing {path} in the tab list")
    return int(found.group(1))


def agent(request: RecordedRequest) -> Reply:
    results = [m for m in request.messages if m.role == "tool"]
    step = len(results)
    try:
        if step == 0:
            return _call(step, "snapshot")
        if step in (1, 2):
            snapshot = results[0].text
            target = ("link", "Open the report") if step == 1 else ("button", "Open a window")
            return _call(step, "click", ref=_ref(snapshot, *target))
        if step == 3:
            return _call(step, "tabs_list")
        if step in (4, 5, 6):
            tab_id = _tab(results[3].text, (REPORT, WINDOW, HELP)[step - 4])
            return _call(step, "page_text", tab_id=tab_id)
    except ValueError as exc:
        return Reply(status=500, error_message=f"opener agent: {exc}")
    return Reply(text="Followed both.")
