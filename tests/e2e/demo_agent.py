"""A stand-in for a real model in the demo's agent path: a dynamic handler for the scripted model server
(``--handler tests.e2e.demo_agent:agent``) that plans the demo task from what the tools returned, the way a
model would — it reads refs out of snapshot results, the table out of the page text, and the file name out
of the task. It fails loudly (an error reply the run reports) when a result is not what it needs."""

from __future__ import annotations

import re

from webbridge.testing.model_script import RecordedRequest, Reply

from .scripted_agent import ref_in, tool_call


def _call(n: int, name: str, **arguments: object) -> Reply:
    return tool_call(f"a{n}", name, **arguments)


_ref = ref_in


def agent(request: RecordedRequest) -> Reply:
    task = next(m.text for m in request.messages if m.role == "user")
    portal = re.search(r"at (http://127\.0\.0\.1:\d+)", task)
    out = re.search(r"to the file (\S+?)\.?$", task.strip(), re.M)
    if portal is None or out is None:
        return Reply(status=400, error_message="the demo agent did not understand the task")
    results = [m for m in request.messages if m.role == "tool"]
    last = results[-1].text if results else ""
    if results and results[-1].is_error:
        return Reply(text=f"I could not go on: {last[:200]}")
    step = len(results)
    try:
        if step == 0:
            return _call(step, "tab_open", url=portal.group(1) + "/")
        if step == 1:
            return _call(step, "snapshot", mode="find", query="Invoices", role="link")
        if step == 2:
            return _call(step, "click", ref=_ref(last, "link", "Invoices"))
        if step == 3:
            return _call(step, "snapshot", mode="find", query="Show open only", role="button")
        if step == 4:
            return _call(step, "click", ref=_ref(last, "button", "Show open only"))
        if step == 5:
            return _call(step, "page_text")
        if step == 6:
            rows = re.findall(r"(?m)^\|.*\|[ \t]*$", last)
            if not rows:
                raise ValueError("no table in the page text")
            table = "\n".join(rows) + "\n"
            return _call(step, "write_file", path=out.group(1), content=f"# Open invoices\n\n{table}")
    except ValueError as exc:
        return Reply(status=500, error_message=f"demo agent: {exc}")
    return Reply(text=f"Saved the open invoices to {out.group(1)}.")
