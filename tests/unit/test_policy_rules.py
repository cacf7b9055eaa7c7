"""The policy file: loading over the shipped defaults, validation errors that name the line, matching."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from webbridge.errors import PolicyInvalid
from webbridge.policy.actions import ActionClass
from webbridge.policy.domains import site_of
from webbridge.policy.rules import DEFAULT_SOURCE, Pattern, default_text, load_policy, parse_policy
from webbridge.policy.toml_lines import locate
from webbridge.policy.toml_write import dumps, write_atomic


def test_shipped_defaults_load_and_cover_every_class() -> None:
    policy = load_policy(None)
    assert policy.source == DEFAULT_SOURCE
    assert set(policy.defaults) == set(ActionClass)
    assert policy.mode == "grants"
    assert policy.defaults[ActionClass.SCRIPT] == "deny"
    assert policy.defaults[ActionClass.READ] == "allow"
    banking = policy.category(site_of("https://secure.chase.com/"), ActionClass.READ)
    assert banking is not None and banking.name == "banking" and banking.decision == "deny"
    assert policy.category(site_of("https://www.example.bank/"), ActionClass.READ) is banking
    assert policy.category(site_of("https://example.com/"), ActionClass.READ) is None


def test_missing_user_file_means_defaults(tmp_path: Path) -> None:
    assert load_policy(tmp_path / "policy.toml").to_data() == load_policy(None).to_data()


def test_user_file_overlays_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        'mode = "ask"\n'
        "[defaults]\n"
        'navigate = "ask"\n'
        "[categories.email]\n"
        'decision = "deny"\n'
        'domains = ["mail.example"]\n'
        '[sites."github.com"]\n'
        'all = "allow"\n'
        'script = "deny"\n',
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.mode == "ask"
    assert policy.defaults[ActionClass.NAVIGATE] == "ask"
    assert policy.defaults[ActionClass.READ] == "allow"  # kept from the shipped file
    email = {c.name: c for c in policy.categories}["email"]
    assert email.decision == "deny" and [str(p) for p in email.patterns] == ["mail.example"]
    assert "banking" in {c.name for c in policy.categories}
    rule = policy.site_rule(site_of("https://gist.github.com/x"))
    assert rule is not None and rule.origin == f"{path}:7"
    assert rule.outcome(ActionClass.SCRIPT) == "deny" and rule.outcome(ActionClass.TYPE) == "allow"


def test_most_specific_site_rule_wins() -> None:
    policy = parse_policy(
        '[sites."example.com"]\nall = "ask"\n'
        '[sites."*.example.com"]\nall = "deny"\n'
        '[sites."docs.example.com"]\nall = "allow"\n'
        '[sites."*.test"]\ninteract = "allow"\n'
    )

    def outcome(url: str, cls: ActionClass = ActionClass.INTERACT) -> str | None:
        rule = policy.site_rule(site_of(url))
        return rule.outcome(cls) if rule else None

    assert outcome("https://example.com/") == "ask"  # exact; the wildcard does not cover the base
    assert outcome("https://shop.example.com/") == "deny"  # same length: wildcard beats nothing else
    assert outcome("https://a.docs.example.com/") == "allow"  # longest pattern
    assert outcome("https://evil.test/") == "allow"
    assert outcome("https://evil.test/", ActionClass.TYPE) is None  # no class, no all: falls through
    assert outcome("https://example.com.evil.test/") == "allow"  # W13: it is a .test site
    assert outcome("https://notexample.com/") is None


def test_pattern_parse_and_match() -> None:
    p = Pattern.parse("Example.COM.")
    assert str(p) == "example.com" and p.matches("example.com") and p.matches("a.example.com")
    assert not p.matches("notexample.com") and not p.matches("example.com.evil.test")
    w = Pattern.parse("*.bank")
    assert w.matches("x.bank") and not w.matches("bank")
    assert Pattern.parse("münchen.de").base == "xn--mnchen-3ya.de"
    assert Pattern.parse("127.0.0.1").matches("127.0.0.1")
    assert Pattern.parse("[::1]").matches("[::1]") and not Pattern.parse("[::1]").matches("x.[::1]")
    for bad in [
        "co.uk",
        "github.io",
        "com",
        "*",
        "*.*.com",
        "a*.com",
        "bank.com/x",
        "u@bank.com",
        "bаnk.com",
        "",
    ]:
        with pytest.raises(ValueError):
            Pattern.parse(bad)


def line_of(exc: pytest.ExceptionInfo[PolicyInvalid]) -> str:
    return str(exc.value.detail["where"])


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('mode = "yolo"\n', "u.toml:1", "mode: 'yolo' is not one of ask, grants"),
        ('\n\n[sites."github.com"]\nread = "allw"\n', "u.toml:4", 'sites."github.com".read'),
        ('[sites."github.com"]\nclick = "allow"\n', "u.toml:2", "'click' is not an action class"),
        ('[sites."co.uk"]\nall = "allow"\n', "u.toml:1", "public suffix"),
        ('[sites."bаnk.com"]\nall = "allow"\n', "u.toml:1", "mixes scripts"),
        ('[sites."github.com"]\n', "u.toml:1", "needs at least one decision"),
        (
            '[sites."GitHub.com"]\nall = "allow"\n[sites."github.com."]\nall = "deny"\n',
            "u.toml:3",
            "same sites",
        ),
        ('[defaults]\nfoo = "allow"\n', "u.toml:2", "defaults.foo"),
        ("[defaults]\nread = 1\n", "u.toml:2", "1 is not one of"),
        (
            '# c\n[categories.banking]\ndecision = "deny"\ndomains = [\n  "ok.com",\n  "bаd.com",\n]\n',
            "u.toml:6",
            "categories.banking.domains: 'bаd.com'",
        ),
        ('[categories.x]\ndecision = "deny"\ndomains = "a.com"\n', "u.toml:3", "must be a list"),
        ('[categories.x]\ndecision = "deny"\ncolour = 1\n', "u.toml:3", "unknown key"),
        ('[categories.x]\ndecision = "maybe"\n', "u.toml:2", "categories.x.decision"),
        ('[categories.x]\ndecision = "deny"\nclasses = ["read", "fly"]\n', "u.toml:3", "'fly'"),
        ("verbose = true\n", "u.toml:1", "unknown setting"),
        ("sites = 3\n", "u.toml:1", "must be a table"),
    ],
)
def test_errors_name_the_line_and_key(text: str, where: str, words: str) -> None:
    with pytest.raises(PolicyInvalid) as info:
        parse_policy(text, "u.toml")
    assert line_of(info) == where
    assert words in info.value.message
    assert info.value.message.startswith(where + ": ")


def test_toml_syntax_errors_carry_tomllib_line() -> None:
    with pytest.raises(PolicyInvalid) as info:
        parse_policy('mode = "ask"\n[sites\n', "u.toml")
    assert "u.toml: not valid TOML" in info.value.message and "line 2" in info.value.message


def test_unreadable_file_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(b'mode = "\xff"\n')
    with pytest.raises(PolicyInvalid, match="cannot read"):
        load_policy(path)


def test_locate() -> None:
    text = (
        '# comment with [sites."x"]\n'
        'top = """\nmode = "hidden"\n"""\n'
        "mode = 'ask'\n"
        "[a . 'b.c']\n"
        "d.e = 1\n"
        'list = [\n  "one",\n  "two",\n]\n'
    )
    assert locate(text, ("mode",)) == 5
    assert locate(text, ("a", "b.c")) == 6
    assert locate(text, ("a", "b.c", "d", "e")) == 7
    assert locate(text, ("a", "b.c", "d")) == 7
    assert locate(text, ("a", "b.c", "list"), "two") == 10
    assert locate(text, ("nope",)) is None


def test_round_trip_through_writer(tmp_path: Path) -> None:
    data = {
        "mode": "ask",
        "defaults": {"read": "allow"},
        "categories": {"banking": {"decision": "deny", "domains": ["*.bank", "bänk.de"], "classes": []}},
        "sites": {"github.com": {"all": "allow"}, "*.example": {"type": "ask"}},
    }
    text = dumps(data)
    assert tomllib.loads(text) == data
    path = tmp_path / "sub" / "policy.toml"
    write_atomic(path, text)
    assert path.read_text(encoding="utf-8") == text
    assert (path.stat().st_mode & 0o777) == 0o600
    assert list(path.parent.iterdir()) == [path]  # no temp file left
    policy = load_policy(path)
    assert policy.mode == "ask"


def test_default_text_is_the_packaged_file() -> None:
    assert "[defaults]" in default_text()
