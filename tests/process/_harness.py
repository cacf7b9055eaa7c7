"""Helpers shared by the daemon process tests: the real relay as a child process with its stdout recorded
and checked frame by frame (F15), FakeExtensions talking through it, pairing through the real CLI, and
probes of the real daemon process (memory, liveness, "still serving").

Nothing here sleeps to wait for an event: relays are awaited with ``proc.wait()``; only the exit of the
detached daemon (not our child) is polled, with a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webbridge import meta
from webbridge.daemon.client import ControlClient
from webbridge.errors import WebBridgeError
from webbridge.protocol import frames, framing, jsonstrict
from webbridge.protocol.channel import Handler
from webbridge.protocol.messages import Tab
from webbridge.testing import FakeExtension

from ..conftest import WbEnv, exited

ORIGIN = meta.origin_of(meta.EXTENSION_ID)
#: How long any single wait in these tests may take before the test fails instead of hanging.
DEADLINE = 20.0


# --- F15: the relay's stdout is frames and nothing else --------------------------------------------------


def strict_frames(data: bytes) -> list[dict[str, Any]]:
    """Split ``data`` into frames, failing on anything that is not a whole, well-formed frame (F15).

    Each frame must be 1 .. 1 048 576 bytes (F14) of strict JSON (:mod:`webbridge.protocol.jsonstrict`)
    whose shape is a plain, sealed or chunk frame; no byte may be left over.
    """
    out: list[dict[str, Any]] = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 4:
            raise AssertionError(f"stray bytes on stdout after {len(out)} frames: {data[pos:]!r}")
        (size,) = framing.HEADER.unpack_from(data, pos)
        if not 0 < size <= framing.MAX_DOWN_FRAME:
            raise AssertionError(
                f"frame {len(out)} on stdout announces {size} bytes: {data[pos : pos + 64]!r}"
            )
        body = data[pos + 4 : pos + 4 + size]
        if len(body) != size:
            raise AssertionError(f"frame {len(out)} on stdout is truncated ({len(body)} of {size} bytes)")
        try:
            frame = jsonstrict.loads(body)
            kind = frames.frame_type(frame)
        except WebBridgeError as exc:
            raise AssertionError(
                f"frame {len(out)} on stdout is not a wire frame: {exc}: {body[:80]!r}"
            ) from None
        if kind == "preamble":
            raise AssertionError(f"frame {len(out)} on stdout is a socket preamble")
        out.append(frame)
        pos += 4 + size
    return out


# --- the real relay -------------------------------------------------------------------------------------


class Relay:
    """``python -m webbridge.relay ORIGIN`` as a child. :attr:`reader`/:attr:`writer` are the browser's
    ends of its stdout/stdin; every byte it writes to stdout is kept in :attr:`stdout`."""

    def __init__(self, proc: asyncio.subprocess.Process, stderr: Path) -> None:
        assert proc.stdin is not None and proc.stdout is not None
        self.proc = proc
        self.stderr = stderr
        self.stdout = bytearray()
        self.writer: asyncio.StreamWriter = proc.stdin
        self.reader = asyncio.StreamReader(limit=2**20)
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._pump = asyncio.get_running_loop().create_task(self._tee(proc.stdout), name="relay-stdout")

    @classmethod
    async def start(cls, wb: WbEnv, *argv: str, log: Path) -> Relay:
        # DEBUG makes the relay log as much as it can: any of it reaching stdout would break F15.
        env = {**wb.env, "WEBBRIDGE_RELAY_LOG": "DEBUG"}
        with open(log, "wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "webbridge.relay", *(argv or (ORIGIN,)),
                env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err,
            )  # fmt: skip
        return cls(proc, log)

    async def _tee(self, src: asyncio.StreamReader) -> None:
        while True:
            await self._flowing.wait()
            chunk = await src.read(1 << 16)
            if not chunk:
                break
            self.stdout += chunk
            self.reader.feed_data(chunk)
        self.reader.feed_eof()

    def hold(self) -> None:
        """Stop reading the relay's stdout (a browser that does not keep up): its writes back up."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def wait(self, timeout: float = DEADLINE) -> int:
        """Wait for the relay to exit on its own; returns its exit code."""
        async with asyncio.timeout(timeout):
            code = await self.proc.wait()
            await self._pump
        return code

    async def finish(self, timeout: float = DEADLINE) -> list[dict[str, Any]]:
        """Close its stdin (the browser went away), wait for a clean exit and return its stdout's frames,
        checked by :func:`strict_frames`."""
        self.resume()
        if not self.writer.is_closing():
            with contextlib.suppress(OSError):
                self.writer.close()
        try:
            code = await self.wait(timeout)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError(f"relay {self.pid} did not exit after its stdin closed") from None
        assert code == 0, f"relay exited {code}: {self.stderr.read_text(errors='replace')}"
        return strict_frames(bytes(self.stdout))


class Relays:
    """The relays (and fakes over them) one test starts; :meth:`aclose` ends them all and checks every
    relay's stdout (F15) and exit code."""

    def __init__(self, wb: WbEnv) -> None:
        self.wb = wb
        self.relays: list[Relay] = []
        self.fakes: list[FakeExtension] = []
        self._relay_of: dict[int, Relay] = {}

    async def start(self, *argv: str) -> Relay:
        relay = await Relay.start(self.wb, *argv, log=self.wb.root / f"relay-{len(self.relays)}.err")
        self.relays.append(relay)
        return relay

    async def fake(self, **kwargs: Any) -> FakeExtension:
        """A FakeExtension connected through a fresh relay (which starts the daemon if none runs)."""
        relay = await self.start()
        fake = FakeExtension(relay.reader, relay.writer, **kwargs)
        await fake.__aenter__()
        self.fakes.append(fake)
        self._relay_of[id(fake)] = relay
        return fake

    def relay_of(self, fake: FakeExtension) -> Relay:
        return self._relay_of[id(fake)]

    async def unix(self, **kwargs: Any) -> FakeExtension:
        """A FakeExtension on the daemon's socket directly (a local process that skips the relay)."""
        fake = await FakeExtension.connect_unix(self.wb.paths.socket, **kwargs)
        await fake.__aenter__()
        self.fakes.append(fake)
        return fake

    async def connect(self, transport: str, **kwargs: Any) -> FakeExtension:
        """Through a relay (``"relay"``) or straight to the daemon's socket (``"socket"``)."""
        return await (self.fake(**kwargs) if transport == "relay" else self.unix(**kwargs))

    async def aclose(self) -> None:
        for relay in self.relays:
            relay.resume()  # a relay blocked on its stdout would never take the fakes' last bytes
        for fake in self.fakes:
            await fake.aclose()
        problems = []
        for relay in self.relays:
            try:
                await relay.finish()
            except AssertionError as exc:
                problems.append(str(exc))
        if problems:
            raise AssertionError("; ".join(problems))


# --- the CLI and the control protocol ---------------------------------------------------------------------


async def cli(wb: WbEnv, *args: str, check: bool = True) -> Any:
    """Run the real ``webbridge`` CLI (in a thread, so this loop keeps serving the fakes)."""
    return await asyncio.to_thread(wb.run, *args, timeout=DEADLINE, check=check)


def control(wb: WbEnv, op: str, **args: Any) -> Any:
    with ControlClient.connect(wb.paths) as client:
        return client.call(op, deadline=DEADLINE, **args)


async def acontrol(wb: WbEnv, op: str, **args: Any) -> Any:
    return await asyncio.to_thread(control, wb, op, **args)


@dataclass
class Paired:
    pairing_id: str
    secret: bytes
    label: str


async def pair(wb: WbEnv, relays: Relays, label: str) -> Paired:
    """Pair a FakeExtension through the relay, confirmed by the user with `webbridge pair --confirm CODE`."""
    fake = await relays.fake(label=label)
    sas = await fake.pair()
    done = await cli(wb, "pair", "--confirm", sas, "--wait", "10", "--json")
    pairing_id = await fake.confirm()
    assert json.loads(done.stdout)["pairing_id"] == pairing_id
    assert fake.secret is not None
    await fake.aclose()  # the extension reconnects with its new pairing
    return Paired(pairing_id, fake.secret, label)


@dataclass
class Linked:
    """A FakeExtension with an open session, and the bridge id the daemon gave it."""

    fake: FakeExtension
    bridge_id: str


async def connect(
    relays: Relays,
    paired: Paired,
    *,
    transport: str = "relay",
    tabs: Sequence[Tab] | None = None,
    handlers: Mapping[str, Handler] | None = None,
    **kw: Any,
) -> Linked:
    """A FakeExtension with ``paired``'s key, through a fresh relay (or the socket), session open;
    ``handlers`` (kind → handler) answer the daemon's browser requests in place of the fake's own."""
    if tabs is not None:
        kw["tabs"] = tabs
    kw.setdefault("label", paired.label)
    fake = await relays.connect(transport, pairing_id=paired.pairing_id, secret=paired.secret, **kw)
    fake.handlers.update(handlers or {})
    opened = await fake.open_session(timeout=DEADLINE)
    return Linked(fake, opened.bridge_id)


# --- the daemon process ---------------------------------------------------------------------------------


def status_kib(pid: int, field: str) -> int:
    """``VmRSS``, ``VmHWM``... of ``pid`` from /proc/PID/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"/proc/{pid}/status has no {field}")


def wait_exited(pid: int, timeout: float = DEADLINE) -> None:
    """Poll (with a deadline) until ``pid`` has exited: the detached daemon is not our child."""
    deadline = time.monotonic() + timeout
    while not exited(pid):
        assert time.monotonic() < deadline, f"process {pid} still running after {timeout} s"
        time.sleep(0.01)


def stop_daemon(wb: WbEnv) -> None:
    """`webbridge daemon stop`, then wait until the process has exited."""
    pid = wb.daemon_pid()
    wb.run("daemon", "stop", timeout=DEADLINE)
    if pid is not None:
        wait_exited(pid)


def daemon_log(wb: WbEnv) -> str:
    return (wb.paths.log_dir / "daemon.log").read_text(encoding="utf-8", errors="replace")


async def assert_serving(wb: WbEnv, linked: Linked, *, real_cli: bool = True) -> None:
    """The daemon still serves other connections: the good bridge answers ``ping``, a
    `webbridge call browser.info --bridge ID` (or the same control call in-process) reaches it, and a
    brand-new connection is handshaken."""
    good, bridge_id = linked.fake, linked.bridge_id
    async with asyncio.timeout(DEADLINE):
        assert (await good.ping(timeout=DEADLINE)).time > 0
        if real_cli:
            out = await cli(wb, "call", "browser.info", "--bridge", bridge_id, "--timeout", "10")
            result = json.loads(out.stdout)
        else:
            result = await acontrol(
                wb, "bridge.call", bridge=bridge_id, kind="browser.info", body={}, timeout=10
            )
        assert result["bridge_id"] == bridge_id and result["kind"] == "browser.info.result"
        assert [t["url"] for t in result["body"]["tabs"]] == [t.url for t in good.tabs]
        fresh = await FakeExtension.connect_unix(
            wb.paths.socket, pairing_id=good.pairing_id, secret=good.secret
        )
        try:
            assert (await fresh.hello(timeout=DEADLINE)).paired
        finally:
            await fresh.aclose()
    good.assert_clean()
