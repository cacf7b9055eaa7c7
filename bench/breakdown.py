"""Where the time of one B8 round trip goes: a diagnostic for the B8 gap, not a benchmark with targets.

    python -m bench.breakdown [--reps 15]

Three views, medians over ``--reps`` repetitions, for the B8 payloads:

1. **Extension, in JavaScript** (an extension page of the same Chromium; a module service worker cannot
   ``import()``, the page runs the very same modules): sealing an ``echo`` request and opening an
   ``echo.result`` reply with ``extension/protocol/session.js``, and the pieces of opening.
2. **Daemon, in Python, in process**: what the daemon does per frame (strict parse of the outer frame,
   ``Session.open``, the reply, sealing, serialising, chunking), with ``webbridge.protocol`` directly.
3. **Python over the wire**: a :class:`~webbridge.testing.fake_extension.FakeExtension` echo straight to
   the daemon's socket versus through a relay process: the difference is what the relay costs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from webbridge import meta

from .bridge import World, temporary_world

SIZES: list[tuple[int, str]] = [
    (16, "echo"),
    (100_000, "echo"),
    (900_000, "echo"),
    (2_000_000, "echo"),
    (8_000_000, "digest"),
]

PAGE_JS = """
async ({ n, mode, reps }) => {
  const u = (p) => chrome.runtime.getURL(p);
  const S = await import(u("protocol/session.js"));
  const sig = await import(u("protocol/signing.js"));
  const M = await import(u("protocol/messages.js"));
  const J = await import(u("protocol/jsonstrict.js"));
  await M.loadSchema();
  const key = await sig.importHmacKey(crypto.getRandomValues(new Uint8Array(32)));
  const keys = { e2d: key, d2e: key };
  const sid = "A".repeat(22);
  const out = {};
  const t = async (name, fn) => {
    const xs = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await fn(i);
      xs.push(performance.now() - t0);
    }
    xs.sort((a, b) => a - b);
    out[name] = xs[Math.floor(xs.length / 2)];
  };
  const data = "x".repeat(n);
  const ext = new S.Session({ sid, keys, role: "extension" });
  const sealed = [];
  await t("seal request", async () => sealed.push((await ext.seal("echo", { data, mode })).frame));
  const req = sealed[0].p;
  const env = () =>
    ({ v: 1, sid, seq: 1, ts: Date.now(), id: "a", reply_to: null, kind: "echo", body: { data, mode } });
  await t("  seal: JSON.stringify of P", () => JSON.stringify(env()));
  await t("  seal: utf8View(p) (encodeInto a reused buffer)", () => sig.utf8View(req));
  await t("  seal: HMAC sign", () => sig.hmac(key, sig.utf8View(req)));
  const dmn = new S.Session({ sid, keys, role: "daemon" });
  const body = mode === "echo" ? { data } : { size: n, sha256: "0".repeat(64) };
  const replies = [];
  for (let i = 0; i < reps; i++) replies.push((await dmn.seal("echo.result", body, { replyTo: "r1" })).frame);
  const opener = new S.Session({ sid, keys, role: "extension" });
  await t("open reply", (i) => opener.open(replies[i]));
  const p = replies[0].p;
  await t("  open: utf8View(p)", () => sig.utf8View(p));
  const bytes = sig.utf8(p);
  await t("  open: HMAC verify", () => sig.verify(key, bytes, replies[0].mac));
  await t("  open: strict parse of p", () => J.parseStrict(p));
  await t("  (JSON.parse of p alone)", () => JSON.parse(p));
  const whole = sig.utf8(JSON.stringify(replies[0]));
  if (whole.length > 1048576) {
    // The daemon's chunks (PROTOCOL.md §6), rebuilt here; the extension decodes and joins them, then parses.
    const C = await import(u("protocol/chunks.js"));
    const B = await import(u("protocol/b64.js"));
    const chunks = [];
    const count = Math.ceil(whole.length / 700000);
    for (let i = 0; i < count; i++) {
      const data = B.encode(whole.subarray(i * 700000, (i + 1) * 700000));
      chunks.push({ v: 1, chunk: { id: "c1", i, n: count }, data });
    }
    await t("  before open: join chunks (base64url decode)", () => {
      const a = new C.ChunkAssembler();
      for (const c of chunks) a.push(c);
    });
    await t("  before open: strict parse of the joined frame", () => J.parseStrictBytes(whole));
  }
  const enc = new TextEncoder();
  await t("(for comparison: TextEncoder.encode(p) of the request)", () => enc.encode(req));
  await t("raw path: JSON.stringify({op, id, data})", () => JSON.stringify({ op: mode, id: 1, data }));
  return out;
}
"""


def median_ms(fn: Callable[[int], Any], reps: int) -> float:
    xs = []
    for i in range(reps):
        t0 = time.perf_counter()
        fn(i)
        xs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(xs)


def daemon_in_process(n: int, mode: str, reps: int) -> dict[str, float]:
    from webbridge.protocol import framing, jsonstrict, messages
    from webbridge.protocol.session import SealedFrame, Session

    secret, ne, nd = os.urandom(32), os.urandom(32), os.urandom(32)
    sid = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    ext = Session.from_secret("extension", secret, ne, nd, sid)
    dmn = Session.from_secret("daemon", secret, ne, nd, sid)
    data = "x" * n
    wire = [jsonstrict.dumps(ext.seal("echo", {"data": data, "mode": mode})).encode() for _ in range(reps)]
    out: dict[str, float] = {}
    out["strict parse of the frame"] = median_ms(lambda i: jsonstrict.loads(wire[i]), reps)
    frames = [jsonstrict.loads(w) for w in wire]
    out["Session.open (verify, parse P)"] = median_ms(lambda i: dmn.open(frames[i]), reps)
    req = messages.parse_body("echo", {"data": data, "mode": mode})
    out["validate + answer"] = median_ms(
        lambda i: messages.echo_reply(messages.parse_body("echo", {"data": data, "mode": mode})), reps
    )
    body = messages.body_of(messages.echo_reply(req))
    sealed: list[SealedFrame] = []
    out["Session.seal reply"] = median_ms(
        lambda i: sealed.append(dmn.seal("echo.result", body, reply_to="r1")), reps
    )
    # What the daemon's connection does: a sealed frame serialises itself without escaping p a second time.
    out["serialise reply frame"] = median_ms(lambda i: sealed[0].to_bytes(), reps)
    payload = sealed[0].to_bytes()
    if len(payload) > framing.MAX_DOWN_FRAME:
        out["chunk reply (base64url)"] = median_ms(lambda i: framing.chunk_down(payload), reps)
    return out


async def over_the_wire(world: World, reps: int) -> dict[tuple[int, str], dict[str, float]]:
    from webbridge.paths import resolve
    from webbridge.testing.fake_extension import FakeExtension

    paths = resolve(world.env)
    fake = await FakeExtension.connect_unix(paths.socket)
    async with fake:
        await fake.hello(pairing_id=None)
        sas = await fake.pair()
        cli = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "webbridge", "pair", "--confirm", sas, "--wait", "30",
            env=world.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        pairing_id = await fake.confirm()
        await cli.wait()
        secret = fake.secret

    async def timed(f: FakeExtension, n: int, mode: str) -> float:
        data, xs = "x" * n, []
        for _ in range(reps):
            t0 = time.perf_counter()
            await f.echo(data, mode=mode)  # type: ignore[arg-type]
            xs.append((time.perf_counter() - t0) * 1000)
        return statistics.median(xs)

    out: dict[tuple[int, str], dict[str, float]] = {key: {} for key in SIZES}
    direct = await FakeExtension.connect_unix(paths.socket, pairing_id=pairing_id, secret=secret)
    async with direct:
        await direct.open_session()
        for n, mode in SIZES:
            out[(n, mode)]["fake → daemon socket"] = await timed(direct, n, mode)
    proc = await asyncio.create_subprocess_exec(
        str(world.relay_launcher), meta.origin_of(meta.EXTENSION_ID), env=world.env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, limit=2**21,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    relayed = FakeExtension(proc.stdout, proc.stdin, pairing_id=pairing_id, secret=secret)
    async with relayed:
        await relayed.open_session()
        for n, mode in SIZES:
            out[(n, mode)]["fake → relay → daemon"] = await timed(relayed, n, mode)
    await proc.wait()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.breakdown", description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args(argv)
    from webbridge.launch import chromium_with_extension

    with temporary_world(keep=False) as world:
        world.cli("daemon", "start")
        with chromium_with_extension(world.profile, env=world.overrides) as browser:
            page = browser.extension_page("ui/popup.html")
            js = {
                key: page.evaluate(PAGE_JS, {"n": key[0], "mode": key[1], "reps": args.reps}) for key in SIZES
            }
        wire = asyncio.run(over_the_wire(world, args.reps))
    py = {key: daemon_in_process(key[0], key[1], args.reps) for key in SIZES}

    header = "| step (median ms) | " + " | ".join(f"{n:,} B {mode}" for n, mode in SIZES) + " |"
    rule = "| --- |" + " ---: |" * len(SIZES)
    for title, table in (
        ("1. extension (JavaScript, extension page, 0.1 ms clock)", js),
        ("2. daemon (Python, in process)", py),
        ("3. Python over the wire", wire),
    ):
        print(f"\n{title}\n{header}\n{rule}")
        steps = list(dict.fromkeys(step for key in SIZES for step in table[key]))
        for step in steps:
            cells = " | ".join(f"{table[key][step]:.2f}" if step in table[key] else "—" for key in SIZES)
            print(f"| {step} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
