"""Which URLs the agent may navigate to, open, or act in (W7; docs/PROTOCOL.md §5.2).

The daemon-side twin of ``extension/background/url_policy.js``: the daemon refuses before sending, the
extension checks again with the browser's own URL parser. Both are tested against
``tests/vectors/url_policy.json``.

Default deny: only ``http:``, ``https:`` and exactly ``about:blank`` pass; among http(s) URLs the extension
stores are refused, matched on the normalised host. Hosts are normalised the way the WHATWG URL standard
does it (the browser's parser): tabs and newlines removed, leading and trailing C0/space stripped,
backslashes as slashes, userinfo dropped up to the last ``@``, percent-decoding, IDNA to punycode, IPv4 in
any of its numeric forms, IPv6 compressed; then trailing dots are removed.

One known difference: IDNA here is the standard library's IDNA 2003 (nameprep), which maps the four UTS 46
"deviation" characters (ß, ς, ZWJ, ZWNJ) where browsers keep them. For a policy check that errs on the side
of refusing: such a host may compare equal to a listed host here while the browser would load another one,
never the reverse.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass
from typing import Literal

from ..errors import UrlBlocked

BlockReason = Literal["scheme", "store", "invalid"]

#: Hosts (and their subdomains) of the extension stores: the browser forbids extensions there.
STORE_HOSTS: tuple[str, ...] = (
    "chromewebstore.google.com",
    "chrome.google.com",
    "microsoftedge.microsoft.com",
)

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_FORBIDDEN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|")
_FORBIDDEN_DOMAIN = _FORBIDDEN_HOST | frozenset(chr(c) for c in range(0x20)) | {"%", "\x7f"}
_WHY: dict[BlockReason, str] = {
    "scheme": "pages with this scheme are off limits to the agent",
    "store": "extension store pages are off limits to the agent",
    "invalid": "not an absolute http(s) URL",
}


class _Invalid(ValueError):
    pass


@dataclass(frozen=True)
class UrlVerdict:
    """``allowed``; else ``reason``. ``scheme`` is lower-case without the colon; ``host`` is normalised
    (empty for about:blank, other schemes and unparseable URLs)."""

    allowed: bool
    reason: BlockReason | None
    scheme: str
    host: str


def normalise_host(hostname: str) -> str:
    """The host as compared by policy: without trailing dots."""
    return hostname.rstrip(".")


def is_store_host(host: str) -> bool:
    return any(host == h or host.endswith("." + h) for h in STORE_HOSTS)


def classify_url(raw: str) -> UrlVerdict:
    """Classify ``raw``. Pure; never raises."""
    if not isinstance(raw, str) or len(raw) > 8192:
        return UrlVerdict(False, "invalid", "", "")
    text = raw.strip("".join(chr(c) for c in range(0x21)))
    text = text.replace("\t", "").replace("\n", "").replace("\r", "")
    match = _SCHEME.match(text)
    if match is None:
        return UrlVerdict(False, "invalid", "", "")
    scheme = match.group()[:-1].lower()
    rest = text[match.end() :]
    if scheme == "about":
        path = re.split(r"[?#]", rest, maxsplit=1)[0]
        if path == "blank":
            return UrlVerdict(True, None, scheme, "")
        return UrlVerdict(False, "scheme", scheme, "")
    if scheme not in ("http", "https"):
        return UrlVerdict(False, "scheme", scheme, "")
    try:
        host = normalise_host(_special_host(rest))
    except _Invalid:
        return UrlVerdict(False, "invalid", scheme, "")
    if is_store_host(host):
        return UrlVerdict(False, "store", scheme, host)
    return UrlVerdict(True, None, scheme, host)


def require_allowed_url(raw: str, what: str = "navigate to") -> None:
    """Raise :class:`~webbridge.errors.UrlBlocked` (6004) unless the policy allows ``raw``."""
    verdict = classify_url(raw)
    if verdict.allowed:
        return
    assert verdict.reason is not None
    shown = f"a {verdict.scheme}: URL" if verdict.scheme else "this URL"
    raise UrlBlocked(f"refused to {what} {shown}: {_WHY[verdict.reason]}", reason=verdict.reason)


# --- WHATWG host parsing for special schemes (https://url.spec.whatwg.org/#host-parsing) ----------------


def _special_host(rest: str) -> str:
    """The serialised host of ``http(s):`` + ``rest``. Raises _Invalid where the URL parser fails."""
    rest = rest.lstrip("/\\")
    authority = re.split(r"[/\\?#]", rest, maxsplit=1)[0]
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise _Invalid("unterminated IPv6 address")
        host, port = hostport[: end + 1], hostport[end + 1 :]
        if port and not port.startswith(":"):
            raise _Invalid("junk after IPv6 address")
        port = port[1:]
    else:
        host, _, port = hostport.partition(":")
    if port and (not port.isascii() or not port.isdigit() or int(port) > 65535):
        raise _Invalid("bad port")
    if not host:
        raise _Invalid("empty host")
    if host.startswith("["):
        return "[" + _ipv6(host[1:-1]) + "]"
    domain = urllib.parse.unquote(host, errors="replace")
    ascii_domain = _domain_to_ascii(domain)
    if any(c in _FORBIDDEN_DOMAIN for c in ascii_domain) or not ascii_domain:
        raise _Invalid("forbidden code point in host")
    if _ends_in_number(ascii_domain):
        return _ipv4(ascii_domain)
    return ascii_domain


def _domain_to_ascii(domain: str) -> str:
    if domain.isascii():
        return domain.lower()
    try:
        return domain.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise _Invalid("IDNA") from exc


def _ipv6(text: str) -> str:
    if not text or any(c not in "0123456789abcdefABCDEF:." for c in text):
        raise _Invalid("bad IPv6 address")  # also refuses zone ids, which ipaddress would accept
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError as exc:
        raise _Invalid("bad IPv6 address") from exc


def _ipv4_number(part: str) -> int | None:
    if not part:
        return None
    radix = 10
    if part[:2] in ("0x", "0X"):
        radix, part = 16, part[2:]
    elif len(part) > 1 and part[0] == "0":
        radix, part = 8, part[1:]
    if not part:
        return 0
    digits = "0123456789abcdef"[:radix]
    if any(c not in digits for c in part.lower()):
        return None
    return int(part, radix)


def _ends_in_number(domain: str) -> bool:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    return bool(last) and (last.isdigit() or _ipv4_number(last) is not None)


def _ipv4(domain: str) -> str:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise _Invalid("too many IPv4 parts")
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        raise _Invalid("bad IPv4 part")
    nums = [n for n in numbers if n is not None]
    if any(n > 255 for n in nums[:-1]) or nums[-1] >= 256 ** (5 - len(nums)):
        raise _Invalid("IPv4 part out of range")
    value = nums[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(nums[:-1]))
    return str(ipaddress.IPv4Address(value))


__all__ = [
    "STORE_HOSTS",
    "BlockReason",
    "UrlVerdict",
    "classify_url",
    "is_store_host",
    "normalise_host",
    "require_allowed_url",
]
