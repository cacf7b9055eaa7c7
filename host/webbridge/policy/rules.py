"""The policy file: mode, per-class defaults, blocked categories and per-site rules (TOML).

The user's file (``<config>/policy.toml``) is laid over the shipped ``default_policy.toml``: top-level
``mode`` and each ``[defaults]`` key replace the shipped ones; a ``[categories.NAME]`` or
``[sites."PATTERN"]`` table replaces the table of the same name. Everything is validated at load and a
mistake raises :class:`~webbridge.errors.PolicyInvalid` naming the file, the line and the key; nothing of a
bad file is used.

Patterns (site rules and category lists) are normalised like hosts (:mod:`.domains`): ``example.com``
matches that host and every subdomain, ``*.example`` matches hosts strictly below ``example`` (use it for a
public suffix such as ``*.bank``). A bare public suffix (``co.uk``, ``github.io``) is refused as a pattern:
it would silently cover unrelated sites. IP literals and single-label hosts match exactly.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast, get_args

from publicsuffixlist import PublicSuffixList

from ..errors import DomainRefused, PolicyInvalid
from .actions import ActionClass
from .domains import Site, normalise_host
from .toml_lines import locate

Outcome = Literal["allow", "ask", "deny"]
Mode = Literal["ask", "grants"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
MODES: tuple[Mode, ...] = get_args(Mode)
STRICTNESS: dict[Outcome, int] = {"allow": 0, "ask": 1, "deny": 2}
DEFAULT_SOURCE = "<shipped default_policy.toml>"

_PSL = PublicSuffixList(accept_unknown=False)  # known suffixes only: "intranet" is a host, "com" is not
_TOP_KEYS = frozenset({"mode", "defaults", "categories", "sites"})
_CATEGORY_KEYS = frozenset({"decision", "domains", "classes"})


def _is_ip(host: str) -> bool:
    """Normalised hosts ending in a digit are IPv4 (a numeric last label is parsed as one); IPv6 has []."""
    return host.startswith("[") or host[-1:].isdigit()


@dataclass(frozen=True)
class Pattern:
    """A domain pattern, normalised. ``wildcard``: ``*.base`` (strictly below ``base``)."""

    base: str
    wildcard: bool

    @classmethod
    def parse(cls, text: str) -> Pattern:
        """Raises ``ValueError`` saying what is wrong with ``text``."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a domain pattern must be a non-empty string")
        raw = text.strip()
        wildcard = raw.startswith("*.")
        body = raw[2:] if wildcard else raw
        if "*" in body or "/" in body or "@" in body:
            raise ValueError(f"{text!r} is not a domain pattern (use 'example.com' or '*.example')")
        try:
            base = normalise_host(body)
        except DomainRefused as exc:
            raise ValueError(f"{text!r}: {exc.message}") from None
        if wildcard and _is_ip(base):
            raise ValueError(f"{text!r}: an IP address has no subdomains")
        if not wildcard and not _is_ip(base) and _PSL.is_public(base):
            raise ValueError(f"{text!r} is a public suffix: write '*.{base}' to mean every site under it")
        return cls(base, wildcard)

    def matches(self, host: str) -> bool:
        """Whether the normalised ``host`` is covered (``base`` itself only when not a wildcard; IP
        addresses only exactly)."""
        if host == self.base:
            return not self.wildcard
        return not _is_ip(host) and not _is_ip(self.base) and host.endswith("." + self.base)

    def __str__(self) -> str:
        return f"*.{self.base}" if self.wildcard else self.base


@dataclass(frozen=True)
class SiteRule:
    """Decisions for the sites matching ``pattern``: per class, and ``all`` for classes not listed."""

    pattern: Pattern
    classes: Mapping[ActionClass, Outcome]
    all: Outcome | None
    #: ``file:line`` where the rule is defined.
    origin: str | None = None

    def outcome(self, action: ActionClass) -> Outcome | None:
        return self.classes.get(action, self.all)


@dataclass(frozen=True)
class Category:
    """A blocked category: ``decision`` for ``classes`` (all if empty) on any site matching a pattern."""

    name: str
    decision: Outcome
    patterns: tuple[Pattern, ...]
    classes: frozenset[ActionClass] = frozenset()
    #: ``file:line`` where the category is defined.
    origin: str | None = None

    def applies_to(self, action: ActionClass) -> bool:
        return not self.classes or action in self.classes


class _PatternIndex:
    """Most-specific-match lookup over patterns: walks the host's suffixes, O(labels)."""

    def __init__(self) -> None:
        self.exact: dict[str, Any] = {}
        self.wild: dict[str, Any] = {}

    def add(self, pattern: Pattern, value: Any) -> None:
        (self.wild if pattern.wildcard else self.exact).setdefault(pattern.base, value)

    def lookup(self, host: str) -> Any:
        """The value of the most specific pattern covering ``host``: longer base first; for the same base,
        ``*.base`` (which says "subdomains") before ``base`` for a host strictly below it."""
        if _is_ip(host):
            return self.exact.get(host)
        suffix = host
        first = True
        while True:
            if not first and suffix in self.wild:
                return self.wild[suffix]
            if suffix in self.exact:
                return self.exact[suffix]
            dot = suffix.find(".")
            if dot < 0:
                return None
            suffix, first = suffix[dot + 1:], False


@dataclass(frozen=True)
class Policy:
    """A loaded, validated policy. Immutable; lookups are pure."""

    mode: Mode
    defaults: Mapping[ActionClass, Outcome]
    sites: tuple[SiteRule, ...] = ()
    categories: tuple[Category, ...] = ()
    source: str = DEFAULT_SOURCE
    _site_index: _PatternIndex = field(default_factory=_PatternIndex, repr=False, compare=False)
    _category_index: dict[str, _PatternIndex] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for rule in self.sites:
            self._site_index.add(rule.pattern, rule)
        for category in self.categories:
            index = _PatternIndex()
            for pattern in category.patterns:
                index.add(pattern, category)
            self._category_index[category.name] = index

    def site_rule(self, site: Site) -> SiteRule | None:
        """The most specific site rule matching ``site`` (longest pattern; exact before wildcard)."""
        rule: SiteRule | None = self._site_index.lookup(site.host)
        return rule

    def category(self, site: Site, action: ActionClass) -> Category | None:
        """The strictest category that lists ``site`` for ``action``."""
        best: Category | None = None
        for category in self.categories:
            if not category.applies_to(action):
                continue
            if self._category_index[category.name].lookup(site.host) is None:
                continue
            if best is None or STRICTNESS[category.decision] > STRICTNESS[best.decision]:
                best = category
        return best

    def to_data(self) -> dict[str, Any]:
        """The effective policy as plain data (what ``policy show`` prints and ``policy set`` writes)."""
        return {
            "mode": self.mode,
            "defaults": {cls.value: out for cls, out in self.defaults.items()},
            "categories": {
                c.name: {
                    "decision": c.decision,
                    "domains": [str(p) for p in c.patterns],
                    **({"classes": sorted(x.value for x in c.classes)} if c.classes else {}),
                }
                for c in self.categories
            },
            "sites": {
                str(r.pattern): {
                    **({"all": r.all} if r.all else {}),
                    **{cls.value: out for cls, out in r.classes.items()},
                }
                for r in self.sites
            },
        }


# --- loading --------------------------------------------------------------------------------------------


def default_text() -> str:
    return resources.files(__package__).joinpath("default_policy.toml").read_text(encoding="utf-8")


def load_policy(path: Path | None) -> Policy:
    """The shipped defaults with the user's file at ``path`` laid over them (if it exists).

    Raises :class:`PolicyInvalid` (file, line, key) for a bad file, and for one that cannot be read.
    """
    base = _parse_toml(default_text(), DEFAULT_SOURCE)
    if path is None or not path.exists():
        return build_policy(base, default_text(), DEFAULT_SOURCE)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyInvalid(f"{path}: cannot read the policy file: {exc}") from None
    user = _parse_toml(text, str(path))
    return build_policy(overlay(base, user), text, str(path))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """A policy from ``text`` alone laid over the shipped defaults. Raises :class:`PolicyInvalid`."""
    return build_policy(overlay(_parse_toml(default_text(), DEFAULT_SOURCE), _parse_toml(text, source)),
                        text, source)


def overlay(base: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """``user`` laid over ``base`` (see the module docstring for which keys replace which)."""
    merged: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in user.items():
        if key in ("defaults", "categories", "sites") and isinstance(value, dict):
            inner = merged.get(key)
            merged[key] = {**(inner if isinstance(inner, dict) else {}), **value}
        else:
            merged[key] = value
    return merged


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyInvalid(f"{source}: not valid TOML: {exc}") from None


class _Checker:
    """Validation helpers; ``texts`` are (source, text) pairs searched in order for a key's line."""

    def __init__(self, texts: list[tuple[str, str]]) -> None:
        self.texts = texts

    def where(self, path: tuple[str, ...], item: str | None = None) -> str:
        """``file:line`` of ``path`` (the first text holding it), or the first file alone."""
        for source, text in self.texts:
            line = locate(text, path, item)
            if line is not None:
                return f"{source}:{line}"
        return self.texts[0][0]

    def fail(self, path: tuple[str, ...], problem: str, item: str | None = None) -> PolicyInvalid:
        where = self.where(path, item)
        key = ".".join(quote_key(p) for p in path)
        return PolicyInvalid(f"{where}: {key}: {problem}", where=where, key=key)

    def outcome(self, path: tuple[str, ...], value: Any) -> Outcome:
        if value not in OUTCOMES:
            raise self.fail(path, f"{value!r} is not one of {', '.join(OUTCOMES)}")
        return cast(Outcome, value)

    def action_class(self, path: tuple[str, ...], value: Any, item: str | None = None) -> ActionClass:
        try:
            return ActionClass(value)
        except ValueError:
            names = ", ".join(c.value for c in ActionClass)
            raise self.fail(path, f"{value!r} is not an action class ({names})", item) from None

    def table(self, path: tuple[str, ...], value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "must be a table")
        return value


def build_policy(data: Mapping[str, Any], text: str, source: str) -> Policy:
    """Validate merged policy data. ``text``/``source`` are the user's file, searched first for lines."""
    texts = [(source, text)]
    if source != DEFAULT_SOURCE:
        texts.append((DEFAULT_SOURCE, default_text()))
    check = _Checker(texts)
    for key in data:
        if key not in _TOP_KEYS:
            raise check.fail((key,), f"unknown setting (expected one of {', '.join(sorted(_TOP_KEYS))})")
    mode = data.get("mode", "grants")
    if mode not in MODES:
        raise check.fail(("mode",), f"{mode!r} is not one of {', '.join(MODES)}")

    defaults: dict[ActionClass, Outcome] = {}
    for key, value in check.table(("defaults",), data.get("defaults", {})).items():
        defaults[check.action_class(("defaults", key), key)] = check.outcome(("defaults", key), value)
    missing = [c.value for c in ActionClass if c not in defaults]
    if missing:
        raise check.fail(("defaults",), f"no default for {', '.join(missing)}")

    categories = []
    for name, raw in check.table(("categories",), data.get("categories", {})).items():
        path = ("categories", name)
        table = check.table(path, raw)
        for key in table:
            if key not in _CATEGORY_KEYS:
                raise check.fail((*path, key), "unknown key (expected decision, domains, classes)")
        decision = check.outcome((*path, "decision"), table.get("decision"))
        domains = table.get("domains", [])
        if not isinstance(domains, list):
            raise check.fail((*path, "domains"), "must be a list of domain patterns")
        patterns = []
        for item in domains:
            try:
                patterns.append(Pattern.parse(item))
            except ValueError as exc:
                shown = item if isinstance(item, str) else None
                raise check.fail((*path, "domains"), str(exc), shown) from None
        classes = table.get("classes", [])
        if not isinstance(classes, list):
            raise check.fail((*path, "classes"), "must be a list of action classes")
        parsed = frozenset(check.action_class((*path, "classes"), c, str(c)) for c in classes)
        categories.append(Category(name, decision, tuple(patterns), parsed, check.where(path)))

    sites = []
    seen: dict[Pattern, str] = {}
    for key, raw in check.table(("sites",), data.get("sites", {})).items():
        path = ("sites", key)
        table = check.table(path, raw)
        try:
            pattern = Pattern.parse(key)
        except ValueError as exc:
            raise check.fail(path, str(exc)) from None
        if pattern in seen:
            raise check.fail(path, f"the same sites as [sites.{quote_key(seen[pattern])}]")
        seen[pattern] = key
        per_class: dict[ActionClass, Outcome] = {}
        everything: Outcome | None = None
        for cls_name, value in table.items():
            if cls_name == "all":
                everything = check.outcome((*path, "all"), value)
                continue
            key_path = (*path, cls_name)
            per_class[check.action_class(key_path, cls_name)] = check.outcome(key_path, value)
        if not per_class and everything is None:
            raise check.fail(path, "a site rule needs at least one decision (a class, or all)")
        sites.append(SiteRule(pattern, per_class, everything, check.where(path)))

    return Policy(cast(Mode, mode), defaults, tuple(sites), tuple(categories), source)


def quote_key(part: str) -> str:
    """A TOML key part as written in a file (quoted unless bare)."""
    return part if part.replace("_", "").replace("-", "").isalnum() and part.isascii() else f'"{part}"'


__all__ = [
    "DEFAULT_SOURCE",
    "MODES",
    "OUTCOMES",
    "STRICTNESS",
    "Category",
    "Mode",
    "Outcome",
    "Pattern",
    "Policy",
    "SiteRule",
    "build_policy",
    "default_text",
    "load_policy",
    "overlay",
    "parse_policy",
    "quote_key",
]
