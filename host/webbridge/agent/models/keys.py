"""Where API keys come from: the caller, then the preset's environment variable, then the OS keyring.

Keys never come from the extension and are never logged: this module returns the key and nothing else
records it. The keyring is optional (``pip install webbridge[keyring]``); when the package is missing, or
its backend fails (no Secret Service on a headless box), the keyring is treated as empty. Keys are stored
there under the service ``webbridge`` with the preset's name as the user name::

    python -m keyring set webbridge openai
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Mapping

from ...errors import ModelKeyMissing
from .presets import Preset

log = logging.getLogger("webbridge.agent.models")

KEYRING_SERVICE = "webbridge"

#: ``(service, username) -> password or None``; the default asks the ``keyring`` package.
KeyringGet = Callable[[str, str], "str | None"]


def keyring_get(service: str, username: str) -> str | None:
    """Ask the OS keyring; ``None`` when the package is not installed or its backend fails."""
    try:
        keyring = importlib.import_module("keyring")
    except ImportError:
        return None
    try:
        value = keyring.get_password(service, username)
    except Exception as exc:  # any backend failure means "no key there", never a crash
        log.debug("keyring lookup failed: %s", type(exc).__name__)
        return None
    return value if isinstance(value, str) else None


def resolve_api_key(
    preset: Preset,
    api_key: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    keyring: KeyringGet = keyring_get,
) -> str | None:
    """The key to send for ``preset``: ``api_key`` if given, else ``$ENV_VAR``, else the keyring entry.

    Raises :class:`ModelKeyMissing` when the preset needs a key and none is found (nothing is sent). Local
    presets return ``None`` (no ``Authorization`` header) when no key is set. Empty strings count as unset.
    """
    if api_key:
        return api_key
    environ = os.environ if env is None else env
    found = environ.get(preset.env_var) or keyring(KEYRING_SERVICE, preset.name)
    if found:
        return found
    if preset.key_required:
        raise ModelKeyMissing(
            f"no API key for {preset.label}; set {preset.env_var} or store it with "
            f"`python -m keyring set {KEYRING_SERVICE} {preset.name}`",
            preset=preset.name,
        )
    return None
