"""Browser actions that did not happen (6xxx): the agent sees them as tool results and can recover.

6001-6009 tabs, navigation and acting; 6010-6019 capture and file transfer; 6020-6029 page I/O.
"""

from __future__ import annotations

from .base import WebBridgeError

# --- browser control: outcomes the agent sees as tool results and can recover from ----------------------


class BrowserActionError(WebBridgeError):
    """An action in the browser did not happen, and nothing happened elsewhere instead (6xxx)."""

    model_visible = True


class StaleRef(BrowserActionError):
    code, name = 6001, "stale_ref"


class NavigatedAway(BrowserActionError):
    code, name = 6002, "navigated_away"


class NotActionable(BrowserActionError):
    code, name = 6003, "not_actionable"


class UrlBlocked(BrowserActionError):
    code, name = 6004, "url_blocked"


class TabNotFound(BrowserActionError):
    code, name = 6005, "tab_not_found"


class WaitTimeout(BrowserActionError):
    code, name = 6006, "wait_timeout"


class ActionFailed(BrowserActionError):
    code, name = 6007, "action_failed"


class TargetChanged(BrowserActionError):
    """The live element is no longer the one the snapshot named (another role or name, or it was replaced
    while the pointer reached it); nothing was done (W6)."""

    code, name = 6008, "target_changed"


# capture and file transfer (6010-6019): screenshots, PDF, downloads, upload, drag and drop


class CaptureTooLarge(BrowserActionError):
    """The screenshot or PDF is larger than the bridge carries; nothing was written."""

    code, name = 6010, "capture_too_large"


class DownloadInterrupted(BrowserActionError):
    """The awaited download was interrupted or cancelled (the browser's reason is in the message)."""

    code, name = 6011, "download_interrupted"


class UploadRefused(BrowserActionError):
    """A file to upload is outside the allowed roots, not a regular file, or escapes by a link; nothing
    was sent to the browser."""

    code, name = 6012, "upload_refused"


class OutputRefused(BrowserActionError):
    """The folder or file name given for a capture cannot be used (not a folder, a name with a path in
    it); nothing was written."""

    code, name = 6013, "output_refused"


class DropNotAccepted(BrowserActionError):
    """The drop target reacted to neither the DOM nor the trusted drag; nothing changed on the page."""

    code, name = 6014, "drop_not_accepted"


# page I/O (6020-6029): dialogs and evaluating JavaScript


class DialogOpen(BrowserActionError):
    """A browser dialog ("leave this page?") blocks the tab: the request was not carried out (answer it with
    dialog.handle)."""

    code, name = 6020, "dialog_open"


class DialogOpened(BrowserActionError):
    """The page opened a JavaScript dialog, and the message says which and what it got. During the request:
    what the request did happened, and the page went on (the page hook answered an alert/confirm/prompt)
    or waits for dialog.handle (a leave-page dialog). Between requests: this request was not carried out.
    dialog.arm sets the answer to the page's next dialog."""

    code, name = 6021, "dialog_opened"


class NoDialog(BrowserActionError):
    code, name = 6022, "no_dialog"


class ScriptError(BrowserActionError):
    """The evaluated script threw; the message is the page's (untrusted). Its effects until then remain."""

    code, name = 6023, "script_error"


class ScriptResultInvalid(BrowserActionError):
    """The script ran but its result is not JSON-serialisable or larger than the cap."""

    code, name = 6024, "script_result_invalid"


class ScriptTimeout(BrowserActionError):
    """The script did not finish in time; a synchronous loop keeps running in the page."""

    code, name = 6025, "script_timeout"
