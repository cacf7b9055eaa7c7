"""Fixed identifiers shared by the relay, the daemon and the installer (standard library only)."""

from __future__ import annotations

#: Native-messaging host name; the manifest file is `<HOST_NAME>.json`.
HOST_NAME = "com.webbridge.host"

#: The id of the extension in `extension/`, fixed by the public `key` in its manifest
#: (first 32 hex digits of SHA-256 over the DER key, digits mapped 0-f -> a-p).
EXTENSION_ID = "jcnjbmkppfofcdpdbpdjdjhkdooekkno"

#: Environment variable through which the launcher tells the relay which extra ids it may serve.
ALLOWED_IDS_ENV = "WEBBRIDGE_EXTENSION_IDS"

PROTOCOL = "wb1"


def origin_of(extension_id: str) -> str:
    return f"chrome-extension://{extension_id}/"


def is_extension_id(value: str) -> bool:
    return len(value) == 32 and all("a" <= c <= "p" for c in value)
