"""Irreversible actions (W11): purchase, send, publish, delete, create an account, download.

Detected from the *structured* action only, never from anything the model says: the accessible role and
name of the element acted on (``button "Place order"``), the path of the form action URL a submit goes to
(``/checkout/place-order``) and the action class (every download). The vocabulary covers English, German,
French and Spanish; names are compared after Unicode compatibility folding, accent stripping and case
folding, as whole words (``Delete`` and ``Löschen`` match, ``Deleted items`` and ``PayPal`` do not).

Detection errs towards asking: ``Remove from cart`` counts as a delete. A navigation's URL path is not
inspected (``/docs/how-to-delete`` would ask for nothing), so sites that change state on GET are covered
by their per-domain rules, not here.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .actions import ActionClass

Verb = Literal["purchase", "send", "publish", "delete", "create_account", "download"]
VERBS: tuple[Verb, ...] = ("purchase", "send", "publish", "delete", "create_account", "download")

#: Element names, per verb: phrases of whole words after :func:`fold` (accents and case removed).
_NAMES: dict[Verb, tuple[str, ...]] = {
    "purchase": (
        # en
        "buy", "purchase", "place order", "place your order", "order now", "pay", "pay now", "checkout now",
        "complete purchase", "confirm purchase", "confirm order", "submit order", "send money", "transfer",
        "donate",
        # de
        "kaufen", "bestellen", "bezahlen", "zahlungspflichtig bestellen", "kostenpflichtig bestellen",
        "bestellung abschicken", "uberweisen", "jetzt kaufen",
        # fr
        "acheter", "commander", "payer", "passer la commande", "valider la commande",
        "confirmer la commande", "faire un virement",
        # es
        "comprar", "pagar", "realizar pedido", "hacer pedido", "finalizar compra", "confirmar pedido",
        "tramitar pedido", "transferir",
    ),
    "send": (
        "send", "send message", "send email",
        "senden", "absenden", "abschicken", "verschicken",
        "envoyer",
        "enviar",
    ),
    "publish": (
        "publish", "post", "tweet",
        "veroffentlichen", "posten",
        "publier", "poster",
        "publicar",
    ),
    "delete": (
        "delete", "remove", "erase", "destroy", "empty trash", "close account", "deactivate",
        "loschen", "entfernen", "endgultig loschen",
        "supprimer", "effacer",
        "eliminar", "borrar", "suprimir",
    ),
    "create_account": (
        "sign up", "signup", "create account", "create an account", "create your account", "register",
        "join now",
        "registrieren", "konto erstellen", "konto anlegen",
        "s inscrire", "inscription", "creer un compte", "creer mon compte",
        "registrarse", "registrate", "crear cuenta", "crear una cuenta", "crear mi cuenta",
    ),
    "download": ("download", "herunterladen", "telecharger", "descargar"),
}

#: Words in a form action URL path (split on anything but letters and digits).
_PATH_WORDS: dict[Verb, frozenset[str]] = {
    "purchase": frozenset({"checkout", "purchase", "buy", "pay", "payment", "payments", "order", "orders",
                           "placeorder", "transfer", "bestellen", "kasse", "commande", "compra", "pedido"}),
    "send": frozenset({"send", "sendmail", "sendmessage", "senden", "envoyer", "enviar"}),
    "publish": frozenset({"publish", "post", "tweet", "status", "publier", "publicar"}),
    "delete": frozenset({"delete", "remove", "destroy", "erase", "loschen", "supprimer", "eliminar"}),
    "create_account": frozenset({"signup", "register", "registration", "join", "createaccount",
                                 "registrieren", "inscription", "registro"}),
    "download": frozenset({"download"}),
}

#: Roles whose activation may commit something. Text inputs, checkboxes and the like only change a field.
_COMMITTING_ROLES = frozenset({"button", "link", "menuitem", "menuitemcheckbox", "menuitemradio", "option",
                               "tab", "treeitem", "gridcell", "cell", "img", "generic", ""})
_CHECKED_CLASSES = frozenset({ActionClass.INTERACT, ActionClass.SUBMIT})
_WORD = re.compile(r"[^\w]+|_")


@dataclass(frozen=True)
class Irreversible:
    """What makes an action irreversible: the ``verb`` and the structured ``evidence`` (shown to the user)."""

    verb: Verb
    evidence: str


def fold(text: str) -> str:
    """Compatibility-fold, strip accents, case-fold and keep words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(w for w in _WORD.split(stripped) if w)


def _phrase_table() -> dict[tuple[str, ...], Verb]:
    table: dict[tuple[str, ...], Verb] = {}
    for verb, phrases in _NAMES.items():
        for phrase in phrases:
            table[tuple(fold(phrase).split())] = verb
    return table


_PHRASES = _phrase_table()
_MAX_PHRASE = max(len(p) for p in _PHRASES)


@lru_cache(maxsize=8192)
def verb_of_name(name: str) -> Verb | None:
    """The irreversible verb an element name says, or ``None``. The earliest, longest phrase wins."""
    words = fold(name[:512]).split()
    for start in range(len(words)):
        for size in range(min(_MAX_PHRASE, len(words) - start), 0, -1):
            verb = _PHRASES.get(tuple(words[start:start + size]))
            if verb is not None:
                return verb
    return None


@lru_cache(maxsize=4096)
def verb_of_form_action(url: str) -> Verb | None:
    """The irreversible verb a form action URL's path says (``/cart/place-order`` → purchase), or ``None``."""
    path = urllib.parse.urlsplit(url[:4096]).path
    folded = fold(urllib.parse.unquote(path))
    words = folded.split()
    joined = {"".join(words[i:i + 2]) for i in range(len(words) - 1)}  # place-order -> placeorder
    for verb, vocabulary in _PATH_WORDS.items():
        if vocabulary.intersection(words) or vocabulary.intersection(joined):
            return verb
    return None


def detect(
    action: ActionClass,
    role: str | None = None,
    name: str | None = None,
    form_action: str | None = None,
) -> Irreversible | None:
    """Whether the structured action is irreversible, and why. Pure; never raises."""
    if action is ActionClass.DOWNLOAD:
        return Irreversible("download", "the action downloads a file")
    if action not in _CHECKED_CLASSES:
        return None
    role_key = (role or "").strip().lower()
    if name and role_key in _COMMITTING_ROLES:
        verb = verb_of_name(name)
        if verb is not None:
            return Irreversible(verb, f'{role_key or "element"} "{name[:120]}"')
    if form_action:
        verb = verb_of_form_action(form_action)
        if verb is not None:
            return Irreversible(verb, f"form goes to {urllib.parse.urlsplit(form_action).path[:200]}")
    return None


__all__ = ["VERBS", "Irreversible", "Verb", "detect", "fold", "verb_of_form_action", "verb_of_name"]
