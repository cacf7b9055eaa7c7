"""Which site a URL or host belongs to, as the policy matches it (W13).

:func:`site_of` turns a URL (``https://user@Bank.COM.:443/x``) or a bare host (``bank.com``, ``[::1]:8080``)
into a :class:`Site`: the normalised host and its *registrable domain* (eTLD+1 from the Public Suffix List,
private section included, so ``alice.github.io`` and ``bob.github.io`` are different sites). Every step a
browser would take happens first, in this order, so that the policy sees the host the browser will load:

1. C0 controls and spaces trimmed, tabs and newlines removed, backslashes read as slashes (WHATWG URL);
2. userinfo dropped up to the **last** ``@`` (``bank.com@evil.test`` is ``evil.test``), port removed;
3. percent-decoding, then IDNA through :mod:`idna` with UTS 46 non-transitional mapping, as browsers do
   (``Straße.de`` is ``xn--strae-oqa.de``, not ``strasse.de``; full-width letters fold to ASCII);
4. lower case, trailing dots removed (``bank.com.`` is ``bank.com``); empty labels refused;
5. IPv4 in any numeric form the URL parser accepts (``0x7f.1``), IPv6 literals and ``localhost`` (and other
   single-label hosts) are their own site, never sent to the Public Suffix List, which answers nonsense
   for them;
6. a label that decodes to a mix of scripts (Latin with Cyrillic, Greek, ...) or to a whole-script
   look-alike of a Latin word (``аррӏе.com`` in Cyrillic) is refused with :class:`DomainRefused`.

Schemes without a site (``about:``, ``data:``, ``file:``, ``javascript:``, ...) raise :class:`DomainRefused`
too; which schemes the agent may use at all is :mod:`webbridge.tools.url_policy`'s business.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import idna
from publicsuffixlist import PublicSuffixList

from ..errors import DomainRefused
from ..tools.url_policy import classify_url

SiteKind = Literal["domain", "ipv4", "ipv6", "local"]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_WEB_SCHEMES = frozenset({"http", "https", "ws", "wss"})
_HOST_CHARS = re.compile(r"[a-z0-9\-_]+")
_IPV4_LAST = re.compile(r"[0-9]+|0x[0-9a-f]*")  # a last label the URL parser reads as a number
_PSL = PublicSuffixList()

#: Letters of other scripts that render like a Latin letter. A label written only in them (plus digits and
#: hyphens) is a whole-script look-alike of a Latin name, the trick mixed-script checks miss.
_LATIN_LOOKALIKES = frozenset(
    "аеорсухіјѕԁһӏԛԝѐёї"  # Cyrillic
    "АВЕКМНОРСТХІЈЅԚԜ"
    "αικνορυχ"  # Greek
    "ΑΒΕΗΙΚΜΝΟΡΤΥΧΖ"
)
#: Scripts that legitimately mix inside one label (Japanese, Korean, Chinese with phonetic annotation).
_COMPATIBLE = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "HANGUL"}),
    frozenset({"HAN", "BOPOMOFO"}),
)


@dataclass(frozen=True)
class Site:
    """``host``: normalised ASCII host (IPv6 in brackets); ``domain``: what rules match on (the registrable
    domain; the host itself for IPs, single labels and hosts that are themselves a public suffix)."""

    host: str
    domain: str
    kind: SiteKind

    def __str__(self) -> str:
        return self.domain


def site_of(value: str) -> Site:
    """The site of a URL or bare host. Pure and cached; raises :class:`DomainRefused` saying why."""
    if not isinstance(value, str):
        raise DomainRefused("a URL or host must be text")
    return _site_of(value)


def registrable_domain(value: str) -> str:
    """Shorthand for ``site_of(value).domain``. Raises :class:`DomainRefused`."""
    return site_of(value).domain


def normalise_host(host: str) -> str:
    """A bare host as :func:`site_of` normalises it (for rule patterns). Raises :class:`DomainRefused`."""
    return _host(host)[0]


@lru_cache(maxsize=4096)
def _site_of(value: str) -> Site:
    if len(value) > 8192:
        raise DomainRefused("URL too long")
    host, kind = _host(_authority(value))
    if kind != "domain":
        return Site(host, host, kind)
    if "." not in host:
        return Site(host, host, "local")
    domain = _PSL.privatesuffix(host)
    # None: the host is itself a public suffix (``github.io``, ``co.uk``): it is its own site.
    return Site(host, domain or host, "domain")


def _authority(value: str) -> str:
    """The ``host[:port]`` part of a URL (or of a bare ``[user@]host[:port][/path]``)."""
    text = value.strip("".join(chr(c) for c in range(0x21)))
    text = text.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    if not text:
        raise DomainRefused("empty URL or host")
    match = _SCHEME.match(text)
    rest = text
    # ``localhost:8080`` looks like a scheme: a port is all digits, a scheme's remainder is not.
    if match is not None and not text[match.end():].split("/", 1)[0].isdigit():
        scheme = match.group()[:-1].lower()
        if scheme not in _WEB_SCHEMES:
            raise DomainRefused(f"{scheme}: URLs have no site")
        rest = text[match.end():]
    rest = rest.lstrip("/")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return authority.rpartition("@")[2]


def _host(hostport: str) -> tuple[str, SiteKind]:
    """Normalise ``host[:port]``; returns the host and what kind it is."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or (hostport[end + 1:] and not _is_port(hostport[end + 1:])):
            raise DomainRefused("malformed IPv6 literal")
        return f"[{_ipv6(hostport[1:end])}]", "ipv6"
    host, sep, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    if sep and not _is_port(":" + port):
        raise DomainRefused("bad port")
    host = urllib.parse.unquote(host, errors="strict")
    if not host:
        raise DomainRefused("empty host")
    ascii_host = _to_ascii(host)
    if not ascii_host:
        raise DomainRefused("empty host")
    labels = ascii_host.split(".")
    if _IPV4_LAST.fullmatch(labels[-1]):
        verdict = classify_url("http://" + ascii_host)  # WHATWG IPv4 forms: 0x7f.1, 2130706433, 0177.0.0.1
        if not verdict.allowed or not verdict.host:
            raise DomainRefused("malformed IPv4 address")
        try:
            ipaddress.IPv4Address(verdict.host)
        except ValueError:
            raise DomainRefused("a host ending in a number must be an IPv4 address") from None
        return verdict.host, "ipv4"
    for label in labels:
        if not _HOST_CHARS.fullmatch(label) or label.startswith("-") or label.endswith("-"):
            raise DomainRefused(f"invalid host label {label!r}")
    _check_scripts(ascii_host)
    return ascii_host, "domain"


def _is_port(text: str) -> bool:
    digits = text[1:]
    return text.startswith(":") and (digits == "" or (digits.isascii() and digits.isdigit()
                                                        and int(digits) <= 65535))


def _ipv6(text: str) -> str:
    if not text or any(c not in "0123456789abcdefABCDEF:." for c in text):
        raise DomainRefused("malformed IPv6 literal")  # also refuses zone ids (``fe80::1%eth0``)
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError:
        raise DomainRefused("malformed IPv6 literal") from None


def _to_ascii(host: str) -> str:
    """UTS 46 (non-transitional, as browsers) to ASCII, lower case, trailing dots removed."""
    host = host.rstrip(".")
    if not host:
        return ""
    if any(label == "" for label in host.split(".")):
        raise DomainRefused("empty label in host")
    if host.isascii() and "xn--" not in host.lower():
        if any(ord(c) < 0x21 or c in "%<>^|" for c in host):
            raise DomainRefused("forbidden character in host")
        return host.lower()
    try:
        ascii_host = idna.encode(host, uts46=True, transitional=False, std3_rules=False).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise DomainRefused(f"not a valid internationalised host name: {exc}") from None
    return ascii_host.lower().rstrip(".")


def _check_scripts(ascii_host: str) -> None:
    labels = ascii_host.split(".")
    tld_unicode = _decode_label(labels[-1])
    tld_latin = tld_unicode.isascii()
    for label in labels:
        if not label.startswith("xn--"):
            continue
        text = _decode_label(label)
        scripts = {s for s in map(_script, text) if s is not None}
        if len(scripts) > 1 and not any(scripts <= ok for ok in _COMPATIBLE):
            raise DomainRefused(
                f"look-alike host refused: {text!r} mixes scripts ({', '.join(sorted(scripts))})"
            )
        letters = [c for c in text if c.isalpha()]
        if tld_latin and letters and all(c in _LATIN_LOOKALIKES for c in letters):
            raise DomainRefused(f"look-alike host refused: {text!r} imitates a Latin name")


def _decode_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return idna.decode(label)
    except (idna.IDNAError, UnicodeError) as exc:
        raise DomainRefused(f"invalid punycode label {label!r}: {exc}") from None


def _script(char: str) -> str | None:
    """The script of a letter (by its Unicode name's first word); ``None`` for digits, hyphens, marks."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    first = name.split(" ", 1)[0]
    if first == "KATAKANA-HIRAGANA":  # the prolonged sound mark: used by both
        return None
    if first == "CJK":
        return "HAN"
    return first or "UNKNOWN"


__all__ = ["Site", "SiteKind", "normalise_host", "registrable_domain", "site_of"]
