"""The wire protocol ``wb1``, one module per layer (see ``docs/PROTOCOL.md``).

- :mod:`.jsonstrict`: strict JSON parsing (§1)
- :mod:`.framing`: 4-byte length framing and down-chunking (§1, §6)
- :mod:`.frames`: frame shapes: classification and plain frames (§2)
- :mod:`.messages`: the message models and their catalogue (§4, §5); :mod:`.schema` exports them
- :mod:`.b64url`: strict unpadded base64url
- :mod:`.refs`: the ref grammar (``e12``, ``f3e12``; ``f0e12`` is ``e12``) and ``canonical_ref`` (§5.2)
- :mod:`.signing`: HKDF, HMAC and session keys (§3)
- :mod:`.session`: sealing and opening envelopes for one connection (§3)
- :mod:`.pairing`: numeric-comparison pairing and key rotation (§4)
- :mod:`.channel`: requests, replies and events over a session (§5)

Nothing is imported here so that importing one layer does not pull in the others.
"""
