"""Helpers shared by the protocol unit tests: fixed sessions, forged frames, a frozen clock."""

from __future__ import annotations

from typing import Any

from webbridge.protocol import jsonstrict, signing
from webbridge.protocol.session import Session

T0 = 1_700_000_000_000
SECRET = bytes(range(32))
NONCE_E = bytes(range(32, 64))
NONCE_D = bytes(range(64, 96))
SID = "c2Vzc2lvbi1pZC0wMDAwMQ"  # 22 base64url characters
OTHER_SID = "b3RoZXItc2Vzc2lvbi0wMA"


class FrozenClock:
    """A settable millisecond clock."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def keys(
    secret: bytes = SECRET, sid: str = SID, nonce_e: bytes = NONCE_E, nonce_d: bytes = NONCE_D
) -> signing.SessionKeys:
    return signing.derive_session_keys(secret, nonce_e, nonce_d, sid)


KEYS_DEFAULT = keys()


def session_pair(clock: FrozenClock | None = None, **kw: Any) -> tuple[Session, Session]:
    """(daemon, extension) sessions sharing keys and a clock."""
    clock = clock or FrozenClock()
    k = keys(**kw)
    sid = kw.get("sid", SID)
    return Session("daemon", sid, k, clock=clock), Session("extension", sid, k, clock=clock)


def envelope(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "v": 1, "sid": SID, "seq": 1, "ts": T0, "id": "e1", "reply_to": None, "kind": "ping", "body": {},
    }  # fmt: skip
    base.update(over)
    return base


def forge(key: bytes, env: dict[str, Any] | str, *, sid: str = SID) -> dict[str, Any]:
    """A sealed frame with exactly this signed part and a valid MAC under ``key``."""
    p = env if isinstance(env, str) else jsonstrict.dumps(env)
    return {"v": 1, "sid": sid, "mac": signing.mac(key, p.encode("utf-8", "surrogatepass")), "p": p}
