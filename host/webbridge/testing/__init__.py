"""Test doubles shipped with WebBridge (used by its own tests and benchmarks).

- :class:`~webbridge.testing.fake_extension.FakeExtension`: the extension's side of the wire protocol.
"""

from webbridge.testing.fake_extension import FakeExtension

__all__ = ["FakeExtension"]
