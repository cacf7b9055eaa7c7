"""The root of the error tree: :class:`WebBridgeError` (``code``, ``name``, wire form) and the code index.

:func:`_all_codes` walks the subclasses of :class:`WebBridgeError` that exist when it is called;
``webbridge.errors`` calls it once after importing every layer and publishes the result as ``BY_CODE``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class WebBridgeError(Exception):
    """Base of every error WebBridge raises on purpose."""

    code: ClassVar[int] = 5003
    name: ClassVar[str] = "internal"
    #: The agent loop shows this error to the model as a tool result (it can recover); otherwise it ends
    #: the run or goes to the user.
    model_visible: ClassVar[bool] = False

    def __init__(self, message: str = "", **detail: Any) -> None:
        super().__init__(message or self.name)
        self.message = message or self.name
        self.detail = detail

    def to_wire(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "message": self.message}

    def __str__(self) -> str:
        return f"[{self.code} {self.name}] {self.message}"


class InternalError(WebBridgeError):
    code, name = 5003, "internal"


def _all_codes() -> dict[int, type[WebBridgeError]]:
    found: dict[int, type[WebBridgeError]] = {}
    stack: list[type[WebBridgeError]] = [WebBridgeError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "code" in cls.__dict__:
            found.setdefault(cls.code, cls)
    return found
