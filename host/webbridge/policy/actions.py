"""Action classes: what kind of thing a tool call does, the unit the policy decides on.

Every registered tool declares its class (``@tool(action=ActionClass.INTERACT)``); a tool whose class
depends on its arguments (a click on a "Buy" button is a submit) is refined by the policy, never by the model.
"""

from __future__ import annotations

from enum import StrEnum


class ActionClass(StrEnum):
    READ = "read"                  # read a page, a snapshot, page text, tabs
    NAVIGATE = "navigate"          # open, go to, back/forward/reload a URL
    INTERACT = "interact"          # click, hover, scroll, select, drag
    TYPE = "type"                  # type or fill text
    SUBMIT = "submit"              # submit a form, press Enter in a form
    UPLOAD = "upload"              # give a local file to a page
    DOWNLOAD = "download"          # save something from a page to disk
    SCRIPT = "script"              # evaluate JavaScript in a page
    NETWORK = "network"            # read network requests, console, cookies
    FILE_READ = "file_read"        # read a local file
    FILE_WRITE = "file_write"      # write, move or delete a local file
    SCHEDULE = "schedule"          # create or change a scheduled task
    SPAWN = "spawn"                # start sub-agents
    NONE = "none"                  # no effect outside the daemon (think, finish)
