"""The daemon's local HTTP + WebSocket API on loopback (docs/PROTOCOL.md §9, SECURITY-CATALOG L1-L7).

Modules, one concept each: :mod:`.loopback` (which addresses and Host headers are ours; standard library
only, so settings can use it), :mod:`.auth` (the token file and the constant-time check), :mod:`.guards`
(the middleware every request passes first), :mod:`.replies` (errors as JSON with their HTTP status),
:mod:`.routes` (status and runs), :mod:`.events` (the WebSocket of run events), :mod:`.server` (the app
factory and the runner the daemon starts and stops). This package imports aiohttp only in the modules
that serve; importing it is cheap.
"""
