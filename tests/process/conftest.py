"""Fixtures the process tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ..conftest import WbEnv
from ._harness import Relays


@pytest.fixture
async def relays(wb: WbEnv) -> AsyncIterator[Relays]:
    """The relays and fake extensions of one test, in ``wb``'s home; all ended and checked afterwards."""
    r = Relays(wb)
    yield r
    await r.aclose()
