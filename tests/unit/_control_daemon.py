"""A temporary WebBridge home with one pairing stored, and paired fake extensions on the daemon's socket
(the test starts the real control server): shared by the unit tests of the bridge handler groups."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from pathlib import Path

from webbridge import config
from webbridge.daemon.keystore import KeyStore, Pairing
from webbridge.daemon.server import DaemonState
from webbridge.meta import EXTENSION_ID, origin_of
from webbridge.protocol.channel import Handler
from webbridge.testing import FakeExtension

DEADLINE = 10.0


def home_settings(tmp_path: Path) -> config.Settings:
    """Settings of a fresh WebBridge home under ``tmp_path``, its folders created private."""
    settings = config.load({"WEBBRIDGE_HOME": str(tmp_path / "wb"), "HOME": str(tmp_path)})
    for folder in (settings.paths.config, settings.paths.data, settings.paths.state, settings.paths.runtime):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return settings


def paired_state(settings: config.Settings) -> tuple[DaemonState, Pairing]:
    """A daemon state whose key store holds one pairing of this extension, and that pairing."""
    keystore = KeyStore(settings.paths.keys)
    keystore.load()
    pairing = Pairing(pairing_id="p-test", secret=secrets.token_bytes(32), label="Test", browser="Chromium",
                      profile="Default", origin=origin_of(EXTENSION_ID), created=time.time())  # fmt: skip
    keystore.add(pairing)
    return DaemonState(settings, keystore), pairing


async def open_extension(
    state: DaemonState, pairing: Pairing, handlers: Mapping[str, Handler] | None = None
) -> FakeExtension:
    """A fake extension with ``pairing``'s key on the daemon's socket, ``handlers`` answering what the
    daemon sends, its session open. The caller closes it (``aclose``)."""
    fake = await FakeExtension.connect_unix(
        state.settings.paths.socket, pairing_id=pairing.pairing_id, secret=pairing.secret
    )
    await fake.__aenter__()
    try:
        fake.handlers.update(handlers or {})
        await fake.open_session(timeout=DEADLINE)
    except BaseException:
        await fake.aclose()
        raise
    return fake
