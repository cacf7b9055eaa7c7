"""Is a chunk of a file text the model may read, or binary to describe? (SECURITY-CATALOG P13.)

Text means: UTF-8, no NUL byte, and hardly any control characters. Everything else is described by its
size and a guess at its type, never pasted into the model's context. Standard library only.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

#: Control characters a text file may hold (tab, newlines, form feed, escape for coloured logs).
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1b")
#: Above this share of other control characters a decodable chunk still counts as binary.
MAX_CONTROL_SHARE = 0.01

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (also .docx, .xlsx, .odt, .jar)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x00asm", "a WebAssembly module"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)


@dataclass(frozen=True)
class Decoded:
    text: str
    #: How many bytes of the chunk the text covers (an incomplete character at the end is left out).
    used: int
    #: Bytes skipped at the start (the tail of a character cut by the offset).
    skipped: int


def decode(chunk: bytes, *, at_start: bool, at_end: bool) -> Decoded | None:
    """The chunk as text, or ``None`` when it looks binary.

    ``at_start``: the chunk begins the file (a BOM is dropped); otherwise up to three continuation bytes of
    a character cut by the offset are skipped. ``at_end``: the chunk ends the file, so an incomplete
    character there is an error rather than the start of the next chunk.
    """
    if b"\x00" in chunk:
        return None
    skipped = 0
    if at_start and chunk.startswith(codecs.BOM_UTF8):
        skipped = len(codecs.BOM_UTF8)
    elif not at_start:
        while skipped < min(3, len(chunk)) and 0x80 <= chunk[skipped] <= 0xBF:
            skipped += 1
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        text = decoder.decode(chunk[skipped:], final=at_end)
    except UnicodeDecodeError:
        return None
    pending = len(decoder.getstate()[0])
    if len(chunk) - skipped - pending <= 0 and chunk:
        return None  # not one whole character
    controls = sum(1 for ch in text if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc")
    if text and controls / len(text) > MAX_CONTROL_SHARE:
        return None
    return Decoded(text, len(chunk) - pending, skipped)


def describe_binary(head: bytes) -> str:
    """A guess at what binary content is, from its first bytes."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head[4:8] in (b"ftyp",):
        return "an MP4/QuickTime video"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "a WebP image"
    if head.startswith(b"RIFF"):
        return "a RIFF file (WAV, AVI)"
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "UTF-16 text (not shown: only UTF-8 is read)"
    return "binary data of unknown type"


__all__ = ["MAX_CONTROL_SHARE", "Decoded", "decode", "describe_binary"]
