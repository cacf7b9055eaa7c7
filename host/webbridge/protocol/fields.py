"""Field types and base models shared by every message module (``messages``, ``browser_kinds``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from webbridge.protocol import b64url

# --- field types ---------------------------------------------------------------------------------------

#: Largest ``echo`` payload in characters (the browser → host frame cap, §1).
MAX_ECHO = 33_554_432
#: Most tabs in one ``browser.info.result``.
MAX_TABS = 5000
#: Largest safe integer in JavaScript: every int on the wire must round-trip through a JS number.
MAX_SAFE_INT = 2**53 - 1

MsgId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Short = Annotated[str, Field(max_length=256)]
Text = Annotated[str, Field(max_length=8192)]
TimeMs = Annotated[int, Field(ge=0, le=MAX_SAFE_INT)]
SafeInt = Annotated[int, Field(ge=-MAX_SAFE_INT, le=MAX_SAFE_INT)]


def _b64_shape(size: int) -> Any:
    """Length and alphabet of the base64url text of ``size`` bytes (exported to the JSON Schema)."""
    chars = b64url.encoded_length(size)
    return Field(min_length=chars, max_length=chars, pattern=f"^[A-Za-z0-9_-]{{{chars}}}$")


def _b64_decodes(size: int, first_byte: int | None = None) -> AfterValidator:
    """Canonical base64url of exactly ``size`` bytes (starting with ``first_byte``)."""

    def check(value: str) -> str:
        raw = b64url.decode(value)  # B64Error is a ValueError: pydantic reports it on the field
        if len(raw) != size:
            raise ValueError(f"must decode to {size} bytes")
        if first_byte is not None and raw[0] != first_byte:
            raise ValueError(f"must start with byte 0x{first_byte:02x}")
        return value

    return AfterValidator(check)


#: 32 random bytes (hello nonces, ``n_e``).
Nonce = Annotated[str, _b64_shape(32), _b64_decodes(32)]
#: 32-byte digests and MACs (``commit``, pairing ``mac``).
Digest = Annotated[str, _b64_shape(32), _b64_decodes(32)]
#: 16 random bytes: session ids and pair ids (22 characters).
Id16 = Annotated[str, _b64_shape(16), _b64_decodes(16)]
#: An uncompressed P-256 public point: 65 bytes starting 0x04.
PublicKey = Annotated[str, _b64_shape(65), _b64_decodes(65, first_byte=0x04)]


class Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Message(Model):
    """Base of every message; ``kind`` is narrowed to a ``Literal`` in each subclass."""

    kind: str


# --- nested shapes -------------------------------------------------------------------------------------


class BrowserDesc(Model):
    name: Short
    version: Short
    user_agent: Annotated[str, Field(max_length=1024)]


class Tab(Model):
    id: SafeInt
    window_id: SafeInt
    url: Text
    title: Text
    active: bool
    #: The run that opened this tab from a page it controlled at that moment (a link with a target, or
    #: ``window.open``); None for every other tab, and from senders that predate the field.
    opened_by_run: MsgId | None = None
