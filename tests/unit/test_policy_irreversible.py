"""W11: irreversible actions detected from the structured action (role, name, form action), en/de/fr/es."""

from __future__ import annotations

import pytest

from webbridge.policy.actions import ActionClass
from webbridge.policy.irreversible import VERBS, detect, fold, verb_of_form_action, verb_of_name


@pytest.mark.parametrize(
    ("name", "verb"),
    [
        # English
        ("Buy now", "purchase"),
        ("Place order", "purchase"),
        ("Place your order", "purchase"),
        ("Pay now", "purchase"),
        ("Complete purchase", "purchase"),
        ("Add to cart and Buy", "purchase"),
        ("Send", "send"),
        ("Send message", "send"),
        ("Publish", "publish"),
        ("Post", "publish"),
        ("Tweet", "publish"),
        ("Delete", "delete"),
        ("Delete repository", "delete"),
        ("Remove from cart", "delete"),
        ("Sign up", "create_account"),
        ("Create account", "create_account"),
        ("Register", "create_account"),
        ("Download PDF", "download"),
        # German
        ("Jetzt kaufen", "purchase"),
        ("Zahlungspflichtig bestellen", "purchase"),
        ("Bezahlen", "purchase"),
        ("Senden", "send"),
        ("Absenden", "send"),
        ("Veröffentlichen", "publish"),
        ("Löschen", "delete"),
        ("Endgültig löschen", "delete"),
        ("Registrieren", "create_account"),
        ("Konto erstellen", "create_account"),
        ("Herunterladen", "download"),
        # French
        ("Acheter", "purchase"),
        ("Passer la commande", "purchase"),
        ("Payer", "purchase"),
        ("Envoyer", "send"),
        ("Publier", "publish"),
        ("Supprimer", "delete"),
        ("S'inscrire", "create_account"),
        ("Créer un compte", "create_account"),
        ("Télécharger", "download"),
        # Spanish
        ("Comprar ahora", "purchase"),
        ("Realizar pedido", "purchase"),
        ("Pagar", "purchase"),
        ("Enviar", "send"),
        ("Publicar", "publish"),
        ("Eliminar", "delete"),
        ("Borrar", "delete"),
        ("Regístrate", "create_account"),
        ("Crear cuenta", "create_account"),
        ("Descargar", "download"),
        # case, accents, compatibility forms and extra whitespace do not hide a verb
        ("  PLACE   ORDER ", "purchase"),
        ("LÖSCHEN", "delete"),
        ("ｂｕｙ ｎｏｗ", "purchase"),
        ("Supprimer\u00a0le message", "delete"),
        ("Loschen", "delete"),
    ],
)
def test_names(name: str, verb: str) -> None:
    assert verb_of_name(name) == verb


@pytest.mark.parametrize(
    "name",
    [
        "Deleted items",
        "PayPal",
        "Search",
        "Resend code",
        "Postcode",
        "Sender",
        "Next",
        "Sign in",
        "Buyer's guide",
        "Order history",
        "Settings",
        "",
    ],
)
def test_ordinary_names_are_not_irreversible(name: str) -> None:
    assert verb_of_name(name) is None


@pytest.mark.parametrize(
    ("url", "verb"),
    [
        ("https://shop.test/checkout/place-order", "purchase"),
        ("/cart/buy", "purchase"),
        ("https://mail.test/messages/send?draft=1", "send"),
        ("https://blog.test/wp-admin/post.php", "publish"),
        ("/account/delete", "delete"),
        ("/users/sign_up", "create_account"),
        ("https://site.test/signup", "create_account"),
        ("https://site.test/registrieren", "create_account"),
        ("/files/download/42", "download"),
        ("/konto/L%C3%B6schen", "delete"),
    ],
)
def test_form_action_paths(url: str, verb: str) -> None:
    assert verb_of_form_action(url) == verb


@pytest.mark.parametrize("url", ["/search", "https://shop.test/cart", "/login", "/?q=delete+everything"])
def test_ordinary_form_actions(url: str) -> None:
    assert verb_of_form_action(url) is None


def test_detect_uses_role_name_and_class() -> None:
    found = detect(ActionClass.INTERACT, "button", "Place order")
    assert found is not None and found.verb == "purchase" and found.evidence == 'button "Place order"'
    # typing into a field called "Delete reason" changes a field, commits nothing
    assert detect(ActionClass.TYPE, "textbox", "Delete reason") is None
    assert detect(ActionClass.INTERACT, "checkbox", "Delete after reading") is None
    assert detect(ActionClass.READ, "button", "Buy now") is None
    # a submit is judged by where the form goes even when the button says nothing
    found = detect(ActionClass.SUBMIT, "button", "OK", "https://shop.test/checkout/place-order")
    assert found is not None and found.verb == "purchase" and "place-order" in found.evidence
    # every download is irreversible, whatever it is called
    found = detect(ActionClass.DOWNLOAD)
    assert found is not None and found.verb == "download"
    # links and menu items commit too; an unknown role is checked (fail towards asking)
    assert detect(ActionClass.INTERACT, "link", "Delete") is not None
    assert detect(ActionClass.INTERACT, "menuitem", "Publier") is not None
    assert detect(ActionClass.INTERACT, None, "Senden") is not None


def test_every_verb_has_vocabulary_in_four_languages() -> None:
    samples = {
        "purchase": ["buy", "kaufen", "acheter", "comprar"],
        "send": ["send", "senden", "envoyer", "enviar"],
        "publish": ["publish", "veröffentlichen", "publier", "publicar"],
        "delete": ["delete", "löschen", "supprimer", "eliminar"],
        "create_account": ["sign up", "registrieren", "s'inscrire", "registrarse"],
        "download": ["download", "herunterladen", "télécharger", "descargar"],
    }
    assert set(samples) == set(VERBS)
    for verb, words in samples.items():
        assert [verb_of_name(w) for w in words] == [verb] * 4


def test_fold() -> None:
    assert fold("  Créer   un COMPTE! ") == "creer un compte"
    assert fold("ｂｕｙ") == "buy"
