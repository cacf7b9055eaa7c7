"""Typed tools over a connected bridge: plain async functions the agent loop (issue 4) will call.

``browser`` holds the browser-control tools (tabs, navigation, page text, waits, snapshot, actions);
``url_policy`` the daemon-side copy of the extension's URL policy.
"""

from __future__ import annotations
