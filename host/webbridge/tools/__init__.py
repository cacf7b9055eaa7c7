"""Typed tools over a connected bridge: plain async functions the agent loop (issue 4) will call.

``browser`` holds the browser-control tools (tabs, navigation, page text, waits, snapshot, actions);
``url_policy`` the daemon-side copy of the extension's URL policy. ``registry`` turns typed async functions
into model-facing tools (``@tool``, ``ToolRegistry``, ``default_registry``); ``browser_tools`` and ``files``
are the tools the model calls.
"""

from __future__ import annotations
