"""W13: the site a URL belongs to, as the policy matches it — every domain trick normalised or refused."""

from __future__ import annotations

import pytest

from webbridge.errors import DomainRefused, PolicyError
from webbridge.policy.domains import normalise_host, registrable_domain, site_of


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        # the row's own examples
        ("https://bank.com.evil.test/login", "evil.test"),
        ("https://bank.com@evil.test/", "evil.test"),
        ("https://bank.com.", "bank.com"),
        ("https://bank.com./login", "bank.com"),
        # userinfo: everything up to the LAST @ is userinfo, as in the browser
        ("http://user:pw@bank.com@evil.test:8080/", "evil.test"),
        ("https://bank.com%40evil.test@attacker.test/", "attacker.test"),
        ("https://a@b@c.evil.test", "evil.test"),
        # case, trailing dots, ports, paths, queries, fragments
        ("HTTPS://WWW.Bank.COM:443/x?y=bank.com#evil.test", "bank.com"),
        ("https://bank.com..", "bank.com"),
        ("https://bank.com:8443", "bank.com"),
        ("https://bank.com?next=https://evil.test", "bank.com"),
        ("https://bank.com#@evil.test", "bank.com"),
        # backslashes are slashes for http(s), so the host ends at the first one
        ("https://bank.com\\@evil.test/", "bank.com"),
        ("https:\\\\evil.test\\bank.com", "evil.test"),
        # whitespace the URL parser drops
        ("  https://evil.test/  ", "evil.test"),
        ("https://ev\til.te\nst/", "evil.test"),
        # percent-encoding in the host
        ("http://bank%2ecom/", "bank.com"),
        ("http://%65vil.test/", "evil.test"),
        # public suffix list, ICANN and private sections
        ("https://shop.bbc.co.uk/", "bbc.co.uk"),
        ("https://alice.github.io/", "alice.github.io"),
        ("https://bob.github.io/", "bob.github.io"),
        ("https://github.io/", "github.io"),
        ("https://a.b.c.example.com/", "example.com"),
        ("https://foo.bar.bank", "bar.bank"),
        # bare hosts, as users type them in rules and the CLI
        ("bank.com", "bank.com"),
        ("bank.com:8080", "bank.com"),
        ("user@evil.test", "evil.test"),
        ("sub.bank.com/path", "bank.com"),
        # websocket schemes belong to sites too
        ("wss://chat.example.com/socket", "example.com"),
    ],
)
def test_registrable_domain(url: str, domain: str) -> None:
    assert registrable_domain(url) == domain


@pytest.mark.parametrize(
    ("url", "host", "domain"),
    [
        # IDNA: UTS 46 non-transitional, as browsers (ß stays, so straße.de is not strasse.de)
        ("https://münchen.de/", "xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("https://MÜNCHEN.de/", "xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("https://Straße.de/", "xn--strae-oqa.de", "xn--strae-oqa.de"),
        ("https://xn--mnchen-3ya.de/", "xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("https://пример.рф/", "xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"),
        ("https://пример.com/", "xn--e1afmkfd.com", "xn--e1afmkfd.com"),
        ("https://例え.jp/", "xn--r8jz45g.jp", "xn--r8jz45g.jp"),
        ("https://ひらがなカタカナ漢字.jp/", "xn--v8j0cwa6gzha3lrdr510cymwb.jp", None),  # one script set
        # full-width and other compatibility forms fold to ASCII
        ("https://ｂａｎｋ.com/", "bank.com", "bank.com"),
        ("https://bank。com/", "bank.com", "bank.com"),
        # IP literals and single labels are their own site, never sent to the suffix list
        ("http://127.0.0.1:8080/", "127.0.0.1", "127.0.0.1"),
        ("http://0x7f.1/", "127.0.0.1", "127.0.0.1"),
        ("http://2130706433/", "127.0.0.1", "127.0.0.1"),
        ("http://0177.0.0.1/", "127.0.0.1", "127.0.0.1"),
        ("http://10.1.2.3", "10.1.2.3", "10.1.2.3"),
        ("http://[::1]:8080/", "[::1]", "[::1]"),
        ("http://[0:0:0:0:0:0:0:1]/", "[::1]", "[::1]"),
        ("http://[2001:DB8::1]/", "[2001:db8::1]", "[2001:db8::1]"),
        ("[::1]:80", "[::1]", "[::1]"),
        ("http://localhost:3000/", "localhost", "localhost"),
        ("localhost:3000", "localhost", "localhost"),
        ("http://LOCALHOST./", "localhost", "localhost"),
        ("http://intranet/", "intranet", "intranet"),
    ],
)
def test_host_and_site(url: str, host: str, domain: str | None) -> None:
    site = site_of(url)
    assert site.host == host
    if domain is not None:
        assert site.domain == domain


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1/", "ipv4"),
        ("http://[::1]/", "ipv6"),
        ("http://localhost/", "local"),
        ("https://example.com/", "domain"),
    ],
)
def test_site_kind(url: str, kind: str) -> None:
    assert site_of(url).kind == kind


@pytest.mark.parametrize(
    ("url", "why"),
    [
        # punycode look-alikes: mixed scripts in one label
        ("https://bаnk.com/", "mixes scripts"),  # Cyrillic а
        ("https://xn--bnk-8cd.com/", "mixes scripts"),
        ("https://pаypal.com/", "mixes scripts"),
        ("https://gοogle.com/", "mixes scripts"),  # Greek ο
        ("https://login.bаnk.com/", "mixes scripts"),  # in a subdomain too
        # whole-script look-alikes of Latin names under a Latin TLD
        ("https://аррӏе.com/", "imitates a Latin name"),
        ("https://xn--80ak6aa92e.com/", "imitates a Latin name"),
        ("https://сосо.com/", "imitates a Latin name"),
        ("https://οκ.com/", "imitates a Latin name"),  # Greek
        # invalid IDNA / punycode
        ("https://xn--zz.com/", "internationalised"),
        ("https://a\u200db.com/", "internationalised"),  # zero-width joiner outside its context
        # malformed hosts
        ("https://a..b.com/", "empty label"),
        ("https://", "empty host"),
        ("https://@/", "empty host"),
        ("https://.", "empty host"),
        ("", "empty"),
        ("   ", "empty"),
        ("https://-bank.com/", "invalid host label"),
        ("https://ba nk.com/", "forbidden character"),
        ("https://bank-.com/", "invalid host label"),
        ("https://bank.com:99999/", "bad port"),
        ("https://bank.com:80a/", "bad port"),
        ("http://[::1/", "IPv6"),
        ("http://[fe80::1%25eth0]/", "IPv6"),
        ("http://[::1]x/", "IPv6"),
        ("http://1.2.3.4.5/", "IPv4"),
        ("http://256.256.256.256/", "IPv4"),
        ("http://foo.0x/", "IPv4"),
        ("https://" + "a" * 9000 + ".com/", "too long"),
        # schemes without a site
        ("about:blank", "no site"),
        ("javascript:alert(1)", "no site"),
        ("data:text/html,hi", "no site"),
        ("file:///etc/passwd", "no site"),
        ("chrome://settings", "no site"),
        ("view-source:https://bank.com", "no site"),
        ("blob:https://bank.com/uuid", "no site"),
    ],
)
def test_refused_with_typed_error(url: str, why: str) -> None:
    with pytest.raises(DomainRefused) as info:
        site_of(url)
    assert why.lower() in info.value.message.lower()
    assert isinstance(info.value, PolicyError) and info.value.code == 8003


def test_extra_slashes_are_skipped_as_the_browser_does() -> None:
    assert site_of("https:///evil.test/bank.com").domain == "evil.test"


def test_non_text_is_refused() -> None:
    with pytest.raises(DomainRefused):
        site_of(b"https://bank.com")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "host",
    ["xn--mnchen-3ya.de", "xn--e1afmkfd.xn--p1ai", "bank.com", "xn--r8jz45g.jp"],
)
def test_normalisation_is_idempotent(host: str) -> None:
    assert normalise_host(normalise_host(host)) == normalise_host(host) == host


def test_every_form_of_one_site_agrees() -> None:
    forms = [
        "https://Bank.COM",
        "https://bank.com.",
        "https://user@bank.com:443/",
        "bank.com",
        "BANK.COM.",
        "https://ｂａｎｋ.ｃｏｍ/",
        "http://bank%2Ecom",
        "https://www.bank.com/x?y#z",
        "wss://bank.com",
    ]
    assert {registrable_domain(f) for f in forms} == {"bank.com"}
