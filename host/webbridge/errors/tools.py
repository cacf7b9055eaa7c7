"""Tool calls that did not happen or failed (7100-7149): the model sees them as tool results."""

from __future__ import annotations

from .base import WebBridgeError

# --- tools (7100-7149): outcomes the model sees as tool results ------------------------------------------


class ToolError(WebBridgeError):
    """A tool call did not happen or failed in a way the model can act on (wrong tool, bad arguments...)."""

    code, name = 7100, "tool_error"
    model_visible = True


class UnknownTool(ToolError):
    code, name = 7101, "unknown_tool"


class BadToolArguments(ToolError):
    code, name = 7102, "bad_tool_arguments"


class NoBrowser(ToolError):
    code, name = 7103, "no_browser"


class NoTab(ToolError):
    code, name = 7104, "no_tab"


class TabNotGranted(ToolError):
    """A run tried to use one of the user's own tabs that its task does not name (``tools/tab_scope.py``);
    nothing was sent to the browser (7130-7139)."""

    code, name = 7130, "tab_not_granted"


class FileToolError(ToolError):
    """A file tool refused or failed; nothing was written (7110-7129)."""

    code, name = 7110, "file_error"


class PathRefused(FileToolError):
    code, name = 7111, "path_refused"


class FileNotFound(FileToolError):
    code, name = 7112, "file_not_found"


class NotAFile(FileToolError):
    code, name = 7113, "not_a_file"


class NotADirectory(FileToolError):
    code, name = 7114, "not_a_directory"


class FileTooLarge(FileToolError):
    code, name = 7115, "file_too_large"


class FileExists(FileToolError):
    code, name = 7116, "file_exists"


class WriteFailed(FileToolError):
    code, name = 7117, "write_failed"
