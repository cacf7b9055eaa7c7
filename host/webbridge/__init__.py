"""WebBridge: an AI agent in your own browser, with a bridge you paired yourself.

This module stays import-light on purpose: the relay (`webbridge.relay`) imports the package and must start
in well under 100 ms, so nothing here may pull in pydantic, cryptography or asyncio.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
