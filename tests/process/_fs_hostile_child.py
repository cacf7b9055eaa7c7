"""Child processes for tests/process/test_file_tools_hostile.py (run as a script, prints one JSON line).

``race WS OUTSIDE``: swap ``WS/d`` between the real folder and a link to ``OUTSIDE`` as fast as it can,
until SIGTERM; prints how many swaps it made. Prints ``ready`` once the first link is in place.

``kill9 WS ROUNDS``: ROUNDS times, fork a writer that replaces ``WS/target.bin`` in a loop with one of two
contents through the real atomic write, SIGKILL it at a random moment, then check that the file is exactly
one of the contents, whole. Prints the counts.

``fsize WS``: with RLIMIT_FSIZE at 64 KiB (the kernel refuses bigger files, as a full disk would), write
256 KiB over a file through the real atomic write; prints what was raised and what the file holds.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import sys
import time
from pathlib import Path

from webbridge.errors import WebBridgeError
from webbridge.tools import _fswalk

OLD = b"old content\n" * 100
CONTENTS = (b"A" * 300_000 + b"\nend A\n", b"B" * 500_000 + b"\nend B\n")


def race(ws: Path, outside: Path) -> None:
    d, real = ws / "d", ws / "d_real"
    swaps = 0
    stop = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    while not stop:
        for step in (lambda: os.rename(d, real), lambda: os.symlink(outside, d)):
            try:
                step()
            except OSError:
                pass
        if swaps == 0:
            print("ready", flush=True)
        swaps += 1
        try:
            os.unlink(d)
        except OSError:
            pass
        try:
            os.rename(real, d)
        except OSError:
            # The victim made a fresh "d" in the gap (writes create folders): drop it and put ours back.
            shutil.rmtree(d, ignore_errors=True)
            try:
                os.rename(real, d)
            except OSError:
                pass
    print(json.dumps({"swaps": swaps}), flush=True)


def kill9(ws: Path, rounds: int) -> None:
    target = ws / "target.bin"
    target.write_bytes(OLD)
    seen: dict[str, int] = {"old": 0, "A": 0, "B": 0, "torn": 0}
    rng = random.Random(1234)
    for _ in range(rounds):
        pid = os.fork()
        if pid == 0:  # the writer: replace the file until killed; never returns into the loop above
            try:
                root = _fswalk.open_root(ws)
                i = 0
                while True:
                    _fswalk.write_atomic(root, ["target.bin"], CONTENTS[i % 2], max_size=10**7)
                    i += 1
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0, 0.004))  # the random moment of the kill is the point of the test
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        data = target.read_bytes()
        key = "old" if data == OLD else "A" if data == CONTENTS[0] else "B" if data == CONTENTS[1] else "torn"
        seen[key] += 1
    leftovers = [n for n in os.listdir(ws) if _fswalk.TEMP_MARK in n]
    print(json.dumps({"seen": seen, "leftover_temps": len(leftovers)}), flush=True)


def fsize(ws: Path) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    target = ws / "kept.txt"
    target.write_bytes(OLD)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    root = _fswalk.open_root(ws)
    raised = None
    try:
        _fswalk.write_atomic(root, ["kept.txt"], b"N" * 256 * 1024, max_size=10**7)
    except WebBridgeError as exc:
        raised = {"code": exc.code, "message": exc.message}
    print(json.dumps({
        "raised": raised,
        "kept": target.read_bytes() == OLD,
        "files": sorted(os.listdir(ws)),
    }), flush=True)  # fmt: skip


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "race":
        race(Path(args[0]), Path(args[1]))
    elif mode == "kill9":
        kill9(Path(args[0]), int(args[1]))
    elif mode == "fsize":
        fsize(Path(args[0]))
    else:
        raise SystemExit(f"unknown mode {mode}")
