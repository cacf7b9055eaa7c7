"""Pairing and key rotation (PROTOCOL.md §4): rows C8 and C11."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from webbridge.errors import BadMac, PairingExpired, PairingFailed
from webbridge.protocol import pairing, signing
from webbridge.protocol.b64url import decode as b64d
from webbridge.protocol.b64url import encode as b64e
from webbridge.protocol.messages import BrowserDesc, KeyRotated, PairConfirm, PairDone, PairKey, PairReveal
from webbridge.protocol.pairing import (
    PAIRING_TTL_MS,
    PairingInitiator,
    PairingResponder,
    RotationInitiator,
    respond_rotation,
)
from webbridge.protocol.session import Session

from ._wire import NONCE_D, NONCE_E, SID, T0, FrozenClock

BROWSER = BrowserDesc(name="Chromium", version="156", user_agent="UA")
ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def fixed_key(label: str) -> ec.EllipticCurvePrivateKey:
    value = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (ORDER - 1) + 1
    return ec.derive_private_key(value, ec.SECP256R1())


def initiator(**kw: object) -> PairingInitiator:
    return PairingInitiator(label="Work", browser=BROWSER, profile="Default", **kw)  # type: ignore[arg-type]


def run_to_reveal(clock: FrozenClock | None = None) -> tuple[PairingInitiator, PairingResponder, str]:
    ini = initiator()
    res = PairingResponder(ini.begin_message(), clock=clock or FrozenClock())
    sas = res.reveal(ini.on_key(res.key_message()))
    return ini, res, sas


def test_happy_path_both_sides_agree() -> None:
    ini, res, sas = run_to_reveal()
    assert sas == ini.sas == res.sas and len(sas) == 6 and sas.isdigit()
    res.check_confirm(ini.confirm_message())
    done = res.done("p-1")
    assert ini.on_done(done) == "p-1" == ini.pairing_id
    assert ini.secret == res.secret and len(ini.secret) == 32


def test_begin_commits_to_the_key_and_nonce() -> None:
    key, nonce = fixed_key("e"), bytes(range(32))
    ini = initiator(private_key=key, nonce=nonce)
    expected = hashlib.sha256(pairing.public_bytes(key) + nonce).digest()
    assert b64d(ini.begin_message().commit) == expected == pairing.commit(pairing.public_bytes(key), nonce)


def test_derivation_follows_the_spec() -> None:
    z, t = bytes(range(32)), bytes(range(32, 64))
    sec = pairing.derive_pairing(z, t)
    assert sec.secret == signing.hkdf(z, t, b"wb1 secret")
    sas_int = int.from_bytes(signing.hkdf(z, t, b"wb1 sas", 4), "big") % 10**6
    assert sec.sas == f"{sas_int:06d}"
    assert sec.ck_e == signing.hkdf(sec.secret, t, b"wb1 confirm e")
    assert sec.ck_d == signing.hkdf(sec.secret, t, b"wb1 confirm d")
    assert sec.secret.hex() not in repr(sec)
    pk_e, pk_d, n_e = b"\x04" + bytes(64), b"\x04" + bytes(range(64)), bytes(32)
    assert pairing.transcript(pk_e, pk_d, n_e) == hashlib.sha256(b"wb1 pair" + pk_e + pk_d + n_e).digest()


def test_commitment_mismatch_fails_and_stays_failed() -> None:
    ini = initiator()
    res = PairingResponder(ini.begin_message(), clock=FrozenClock())
    reveal = ini.on_key(res.key_message())
    tampered = PairReveal(pair_id=reveal.pair_id, pk_e=reveal.pk_e, n_e=b64e(bytes(32)))
    with pytest.raises(PairingFailed, match="commitment") as info:
        res.reveal(tampered)
    assert info.value.code == 3008
    with pytest.raises(PairingFailed, match="already failed"):
        res.reveal(reveal)


def test_another_key_than_committed_fails() -> None:
    ini = initiator()
    res = PairingResponder(ini.begin_message(), clock=FrozenClock())
    reveal = ini.on_key(res.key_message())
    other = b64e(pairing.public_bytes(pairing.generate_private_key()))
    with pytest.raises(PairingFailed):
        res.reveal(PairReveal(pair_id=reveal.pair_id, pk_e=other, n_e=reveal.n_e))


def test_wrong_pair_id_fails() -> None:
    ini = initiator()
    res = PairingResponder(ini.begin_message(), clock=FrozenClock())
    reveal = ini.on_key(res.key_message())
    with pytest.raises(PairingFailed, match="pair_id"):
        res.reveal(PairReveal(pair_id=b64e(bytes(16)), pk_e=reveal.pk_e, n_e=reveal.n_e))


def test_point_not_on_the_curve_fails() -> None:
    bogus = b"\x04" + bytes(range(1, 65))
    nonce = bytes(32)
    ini = initiator()
    begin = ini.begin_message().model_copy(update={"commit": b64e(pairing.commit(bogus, nonce))})
    res = PairingResponder(begin, clock=FrozenClock())
    with pytest.raises(PairingFailed, match="not a point"):
        res.reveal(PairReveal(pair_id=res.pair_id, pk_e=b64e(bogus), n_e=b64e(nonce)))
    with pytest.raises(PairingFailed):
        initiator().on_key(PairKey(pair_id=res.pair_id, pk_d=b64e(bogus)))


def test_bad_confirm_mac_fails() -> None:
    ini, res, _ = run_to_reveal()
    good = ini.confirm_message()
    with pytest.raises(PairingFailed, match="extension"):
        res.check_confirm(PairConfirm(pair_id=good.pair_id, mac=b64e(bytes(32))))
    with pytest.raises(PairingFailed):
        res.check_confirm(good)


def test_bad_done_mac_fails() -> None:
    ini, res, _ = run_to_reveal()
    res.check_confirm(ini.confirm_message())
    done = res.done("p-1")
    with pytest.raises(PairingFailed, match="daemon"):
        ini.on_done(PairDone(pair_id=done.pair_id, pairing_id="p-1", mac=b64e(bytes(32))))
    with pytest.raises(PairingFailed):
        ini.secret  # noqa: B018


def test_the_extensions_confirm_mac_does_not_verify_as_the_daemons() -> None:
    ini, res, _ = run_to_reveal()
    confirm = ini.confirm_message()
    res.check_confirm(confirm)
    reflected = PairDone(pair_id=confirm.pair_id, pairing_id="p-1", mac=confirm.mac)
    with pytest.raises(PairingFailed):
        ini.on_done(reflected)


@pytest.mark.parametrize(
    "step",
    [
        lambda ini, res: res.done("p-1"),
        lambda ini, res: res.check_confirm(PairConfirm(pair_id=res.pair_id, mac=b64e(bytes(32)))),
    ],
)
def test_steps_out_of_order_fail(step: Callable[[PairingInitiator, PairingResponder], object]) -> None:
    ini = initiator()
    res = PairingResponder(ini.begin_message(), clock=FrozenClock())
    with pytest.raises(PairingFailed):
        step(ini, res)


def test_initiator_steps_out_of_order_fail() -> None:
    ini = initiator()
    with pytest.raises(PairingFailed):
        ini.confirm_message()
    with pytest.raises(PairingFailed):
        ini.sas  # noqa: B018
    with pytest.raises(PairingFailed):
        ini.on_done(PairDone(pair_id=b64e(bytes(16)), pairing_id="p", mac=b64e(bytes(32))))


def test_secrets_are_only_given_out_when_done() -> None:
    ini, res, _ = run_to_reveal()
    with pytest.raises(PairingFailed):
        res.secret  # noqa: B018
    res.check_confirm(ini.confirm_message())
    with pytest.raises(PairingFailed):
        res.secret  # noqa: B018 - the user has not confirmed on the daemon side yet
    res.done("p-1")
    assert res.secret


def test_pending_pairing_expires_after_300_s() -> None:
    clock = FrozenClock()
    ini = initiator()
    res = PairingResponder(ini.begin_message(), clock=clock)
    reveal = ini.on_key(res.key_message())
    clock.now += PAIRING_TTL_MS
    assert not res.expired
    clock.now += 1
    assert res.expired
    with pytest.raises(PairingExpired) as info:
        res.reveal(reveal)
    assert info.value.code == 3009
    with pytest.raises(PairingFailed):
        res.reveal(reveal)


def test_responder_exposes_its_public_key() -> None:
    res = PairingResponder(initiator().begin_message(), clock=FrozenClock())
    assert res.public_key == res.key_message().pk_d and len(b64d(res.public_key)) == 65


# --- C11 man in the middle -----------------------------------------------------------------------------


def mitm_codes(attempt: int) -> tuple[str, str]:
    """Mallory sits between E and D and substitutes her own keys both ways; returns (SAS at E, SAS at D)."""
    ini = initiator(private_key=fixed_key(f"e{attempt}"), nonce=hashlib.sha256(b"n%d" % attempt).digest())
    # Towards D, Mallory must commit before she sees pk_d.
    m_to_d = initiator(
        private_key=fixed_key(f"m1-{attempt}"), nonce=hashlib.sha256(b"m%d" % attempt).digest()
    )
    res = PairingResponder(m_to_d.begin_message(), private_key=fixed_key(f"d{attempt}"), clock=FrozenClock())
    sas_d = res.reveal(m_to_d.on_key(res.key_message()))
    # Towards E, Mallory answers with a second key of her own.
    mallory_d = PairingResponder(
        ini.begin_message(), private_key=fixed_key(f"m2-{attempt}"), clock=FrozenClock()
    )
    sas_e_mallory = mallory_d.reveal(ini.on_key(mallory_d.key_message()))
    assert sas_e_mallory == ini.sas  # Mallory knows each leg's code, but the two legs differ
    return ini.sas, sas_d


@pytest.mark.parametrize("attempt", range(20))
def test_c11_substituted_keys_give_different_codes(attempt: int) -> None:
    sas_e, sas_d = mitm_codes(attempt)
    assert sas_e != sas_d


def test_c11_relaying_the_extensions_confirmation_fails_at_the_daemon() -> None:
    ini = initiator(private_key=fixed_key("e"))
    m_to_d = initiator(private_key=fixed_key("m1"))
    res = PairingResponder(m_to_d.begin_message(), private_key=fixed_key("d"), clock=FrozenClock())
    res.reveal(m_to_d.on_key(res.key_message()))
    mallory_d = PairingResponder(ini.begin_message(), private_key=fixed_key("m2"), clock=FrozenClock())
    mallory_d.reveal(ini.on_key(mallory_d.key_message()))
    relayed = ini.confirm_message()
    with pytest.raises(PairingFailed):
        res.check_confirm(PairConfirm(pair_id=res.pair_id, mac=relayed.mac))


def test_c11_mallory_cannot_swap_keys_after_seeing_pk_d() -> None:
    """Committed to one key, Mallory learns pk_d and tries to reveal another: refused."""
    m_to_d = initiator(private_key=fixed_key("m1"))
    res = PairingResponder(m_to_d.begin_message(), clock=FrozenClock())
    reveal = m_to_d.on_key(res.key_message())
    chosen = b64e(pairing.public_bytes(fixed_key("chosen after seeing pk_d")))
    with pytest.raises(PairingFailed, match="commitment"):
        res.reveal(PairReveal(pair_id=reveal.pair_id, pk_e=chosen, n_e=reveal.n_e))


# --- C8 key rotation -----------------------------------------------------------------------------------


def test_c8_rotation_gives_both_sides_a_new_secret() -> None:
    daemon_side = RotationInitiator()
    request = daemon_side.request()
    assert request.pk == daemon_side.public_key
    reply, ext_secret = respond_rotation(request)
    assert daemon_side.finish(reply) == ext_secret and len(ext_secret) == 32


def test_rotation_follows_the_spec() -> None:
    kd, ke = fixed_key("rd"), fixed_key("re")
    pk_d, pk_e = pairing.public_bytes(kd), pairing.public_bytes(ke)
    reply, secret = respond_rotation(RotationInitiator(kd).request(), ke)
    z = pairing.ecdh(kd, pk_e)
    salt = hashlib.sha256(b"wb1 rotate" + pk_d + pk_e).digest()
    assert secret == signing.hkdf(z, salt, b"wb1 secret") == pairing.rotation_secret(z, pk_d, pk_e)
    assert reply.pk == b64e(pk_e)


def test_c8_after_rotation_the_new_key_verifies_and_the_old_one_does_not() -> None:
    ini, res, _ = run_to_reveal()
    res.check_confirm(ini.confirm_message())
    ini.on_done(res.done("p-1"))
    old = res.secret
    daemon_side = RotationInitiator()
    reply, ext_new = respond_rotation(daemon_side.request())
    new = daemon_side.finish(reply)
    assert new == ext_new != old
    clock = FrozenClock(T0)
    daemon = Session.from_secret("daemon", new, NONCE_E, NONCE_D, SID, clock=clock)
    ext_new_session = Session.from_secret("extension", new, NONCE_E, NONCE_D, SID, clock=clock)
    daemon.open(ext_new_session.seal("ping", {}))
    ext_old_session = Session.from_secret("extension", old, NONCE_E, NONCE_D, SID, clock=clock)
    stale = Session.from_secret("daemon", new, NONCE_E, NONCE_D, SID, clock=clock)
    with pytest.raises(BadMac):
        stale.open(ext_old_session.seal("ping", {}))


def test_rotation_refuses_a_bad_key() -> None:
    with pytest.raises(PairingFailed):
        RotationInitiator().finish(KeyRotated(pk=b64e(b"\x04" + bytes(range(1, 65)))))
