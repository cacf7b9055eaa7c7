"""page.text puts each frame's text where the frame is in the page (same-origin, nested and cross-origin
iframes), end to end in real Chromium through the relay and daemon."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import WbEnv
from ..fixtures.site import FixtureSite
from .browser_session import Session, signed_in_session

pytestmark = pytest.mark.e2e


@pytest.fixture
def s(wb: WbEnv, tmp_path: Path, playwright: Any, fixture_site: FixtureSite) -> Iterator[Session]:
    with signed_in_session(wb, tmp_path, playwright, fixture_site) as session:
        yield session


def test_frame_text_sits_where_the_frame_is(s: Session) -> None:
    tab = s.tab_id()
    s.call("page.navigate", {"tab_id": tab, "url": s.site.url("/frames/between")})
    s.call("page.wait_for", {"tab_id": tab, "text": "Cross button"})  # every frame has loaded
    md = s.call("page.text", {"tab_id": tab})["markdown"]
    order = [
        "Before the frames.",
        f"--- frame: {s.site.url('/frames/inner')} ---",
        "## Same-origin frame",
        f"--- frame: {s.site.url('/frames/nested')} ---",
        "Nested button",
        "Between the frames.",
        f"--- frame: {s.site.cross_url('/frame')} ---",
        "## Cross-origin frame",
        "Cross button",
        "After the frames.",
    ]
    at = [md.find(text) for text in order]
    assert -1 not in at and at == sorted(at), md
    assert md.count("--- end of frame ---") == 3 and "\u0001" not in md
    # the nested frame ends inside the same-origin frame, before the text between the frames
    assert md.index("Nested button") < md.index("--- end of frame ---") < md.index("Between the frames.")
    # a budget cuts the whole and says so
    cut = s.call("page.text", {"tab_id": tab, "max_chars": 1000})
    assert cut["markdown"] == md[:1000] and cut["truncated"] is (len(md) > 1000)
