"""The file tools against a hostile world, with real processes (SECURITY-CATALOG P5, P14):

- P5: another process swaps a workspace folder for a link to a folder outside, thousands of times, while
  the tools read and write through it: zero escapes;
- P14: a writer is killed with SIGKILL at random moments, hundreds of times: the file is always the old or a
  new content, whole; a write the kernel refuses (RLIMIT_FSIZE, as a full disk) leaves the old content and
  no temp file.

The child processes are in ``_fs_hostile_child.py``. Iterations are bounded so the file stays a few seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from webbridge import errors
from webbridge.agent.chat import ToolCall
from webbridge.tools import _fswalk
from webbridge.tools.files import FILE_TOOLS
from webbridge.tools.registry import ToolContext, ToolRegistry

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, signals, rlimits")

CHILD = Path(__file__).with_name("_fs_hostile_child.py")
#: Bounded so the whole file stays a few seconds on two cores.
RACE_CALLS = 10_000
KILL_ROUNDS = 500


def child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> dict[str, object]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def test_p5_a_folder_swapped_for_a_link_never_lets_a_read_or_write_escape(tmp_path: Path) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    (ws / "d").mkdir(parents=True)
    outside.mkdir()
    (ws / "d" / "note.txt").write_bytes(b"inside")
    (outside / "note.txt").write_bytes(b"OUTSIDE")
    racer = child("race", str(ws), str(outside))
    try:
        assert racer.stdout is not None and racer.stdout.readline().strip() == "ready"
        outcomes = {"inside": 0, "refused": 0, "missing": 0, "written": 0}
        root = _fswalk.open_root(ws)
        try:
            for i in range(RACE_CALLS):
                try:
                    if i % 4 == 3:
                        _fswalk.write_atomic(root, ["d", "note.txt"], b"written", max_size=100)
                        outcomes["written"] += 1
                    else:
                        data = _fswalk.read_bytes(root, ["d", "note.txt"], 0, 100).data
                        assert data != b"OUTSIDE", f"escaped after {i} calls"
                        outcomes["inside"] += 1
                except errors.PathRefused:
                    outcomes["refused"] += 1
                except (errors.FileNotFound, errors.NotADirectory):
                    outcomes["missing"] += 1
        finally:
            os.close(root)
    finally:
        racer.send_signal(signal.SIGTERM)
        racer_result = finish(racer)
    assert sorted(os.listdir(outside)) == ["note.txt"]
    assert (outside / "note.txt").read_bytes() == b"OUTSIDE"
    assert sum(outcomes.values()) == RACE_CALLS
    # The race really happened: some calls met the link, some the real folder.
    assert outcomes["refused"] > 0 and outcomes["inside"] + outcomes["written"] > 0, outcomes
    assert isinstance(racer_result["swaps"], int) and racer_result["swaps"] > 0


async def test_p5_through_the_tools_while_racing(tmp_path: Path) -> None:
    """The same race through the registry: every result is an ordinary result or a typed error result."""
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    (ws / "d").mkdir(parents=True)
    outside.mkdir()
    (outside / "note.txt").write_bytes(b"OUTSIDE")
    (ws / "d" / "note.txt").write_bytes(b"inside")
    registry = ToolRegistry(FILE_TOOLS)
    ctx = ToolContext(run_id="r", bridge=None, tab_id=None, workspace=ws)
    racer = child("race", str(ws), str(outside))
    codes: set[int | None] = set()
    try:
        assert racer.stdout is not None
        assert (await asyncio.to_thread(racer.stdout.readline)).strip() == "ready"
        for i in range(400):
            name, args = [
                ("read_file", {"path": "d/note.txt"}),
                ("list_files", {"path": "d"}),
                ("append_file", {"path": "d/note.txt", "content": "+"}),
                ("write_file", {"path": "d/other.txt", "content": "x"}),
            ][i % 4]
            res = await registry.call(ToolCall(id=str(i), name=name, arguments=json.dumps(args)), ctx)
            assert "OUTSIDE" not in res.content
            codes.add(res.error_code)
    finally:
        racer.send_signal(signal.SIGTERM)
        await asyncio.to_thread(finish, racer)
    assert sorted(os.listdir(outside)) == ["note.txt"] and (outside / "note.txt").read_bytes() == b"OUTSIDE"
    assert codes <= {None, 7111, 7112, 7114}, codes
    assert codes - {None}, "the race never interfered"  # a link met, or the folder caught mid-swap


def test_p14_kill_9_at_random_moments_never_tears_the_file(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    result = finish(child("kill9", str(ws), str(KILL_ROUNDS)), timeout=120)
    seen = result["seen"]
    assert isinstance(seen, dict)
    assert seen["torn"] == 0, seen
    assert sum(seen.values()) == KILL_ROUNDS
    assert seen["A"] + seen["B"] > 0, seen  # the writers did get to replace the file
    # Kills landed inside writes (their temp files are left), not only between them.
    assert isinstance(result["leftover_temps"], int) and result["leftover_temps"] > 0, result
    # A crash may leave a temp file; it is hidden from listings and never mistaken for the file.
    root = _fswalk.open_root(ws)
    try:
        entries, _ = _fswalk.list_dir(root, [], recursive=False, limit=100)
    finally:
        os.close(root)
    assert [e.path for e in entries] == ["target.bin"]


def test_p14_a_write_the_kernel_refuses_keeps_the_old_content(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    result = finish(child("fsize", str(ws)))
    raised = result["raised"]
    assert isinstance(raised, dict) and raised["code"] == errors.WriteFailed.code, result
    assert "previous content is unchanged" in str(raised["message"])
    assert result["kept"] is True
    assert result["files"] == ["kept.txt"]  # the temp file was removed
