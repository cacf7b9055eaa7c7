"""The bridge end to end, as a user meets it: real Chromium, the real extension, relay and daemon."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from webbridge import meta
from webbridge.launch import launch

from ..conftest import WbEnv
from .conftest import bridges, pair, profile_dir, status, wait_connection, wait_until

pytestmark = pytest.mark.e2e


def test_new_user_installs_pairs_in_the_popup_and_round_trips(
    wb: WbEnv, tmp_path: Path, site: str, playwright: Any
) -> None:
    profile = profile_dir(tmp_path, "profile")
    installed = wb.run("install", "--browser", "chromium", "--user-data-dir", str(profile))
    manifest = profile / "NativeMessagingHosts" / f"{meta.HOST_NAME}.json"
    assert str(manifest) in installed.stdout
    assert json.loads(manifest.read_text())["allowed_origins"] == [meta.origin_of(meta.EXTENSION_ID)]

    browser = launch(playwright, profile, env=wb.env, install_manifest=False)
    try:
        page = browser.context.new_page()
        page.goto(site)
        popup = browser.extension_page("ui/popup.html")
        popup.wait_for_selector("#status[data-state='not_paired']")
        popup.click("#pair-button")
        shown = popup.locator("#sas:not([hidden])")
        shown.wait_for()
        code = shown.inner_text().replace(" ", "")
        assert len(code) == 6 and code.isdigit()

        # The user reads the code in the popup and types it at the CLI, then clicks "Codes match".
        cli = subprocess.Popen(
            [sys.executable, "-m", "webbridge", "pair", "--confirm", code, "--wait", "60"],
            env=wb.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        popup.click("#confirm-button")
        out, err = cli.communicate(timeout=90)
        assert cli.returncode == 0, err
        assert out.startswith("paired: p-")
        popup.wait_for_selector("#status[data-state='connected']")
        assert popup.locator("#daemon-version").inner_text() == "0.1.0"

        info = json.loads(wb.run("call", "browser.info").stdout)
        assert info["kind"] == "browser.info.result"
        tabs = info["body"]["tabs"]
        assert any(t["url"] == site and t["title"] == "Fixture home" for t in tabs)
        assert info["body"]["browser"] in ("Chromium", "Chrome")

        listed = bridges(wb)
        assert len(listed) == 1 and listed[0]["origin"] == meta.origin_of(meta.EXTENSION_ID)

        doctor = wb.run("doctor", "--json", check=False)
        report = json.loads(doctor.stdout)
        failing = [c for c in report["checks"] if c["status"] == "fail"]
        assert failing == [], failing
        assert doctor.returncode == 0
    finally:
        browser.context.close()


def test_daemon_killed_extension_reconnects_by_itself(wb: WbEnv, tmp_path: Path, playwright: Any) -> None:
    browser = launch(playwright, profile_dir(tmp_path, "profile"), env=wb.env)
    try:
        pair(browser, wb)
        first = json.loads(wb.run("daemon", "status", "--json").stdout)
        sessions_before = status(browser)["counters"]["sessions"]

        wb.kill_daemon()  # SIGKILL: no goodbye; the relay sees EOF and exits, the extension reconnects

        # The extension's next relay starts a fresh daemon, which still knows the pairing.
        wait_until(lambda: status(browser)["counters"]["sessions"] > sessions_before, what="a new session")
        wait_connection(browser, "connected")
        second = json.loads(wb.run("daemon", "status", "--json").stdout)
        assert second["pid"] != first["pid"]
        info = json.loads(wb.run("call", "browser.info").stdout)
        assert info["body"]["tabs"]
    finally:
        browser.context.close()


def test_two_profiles_share_one_daemon(wb: WbEnv, tmp_path: Path, playwright: Any) -> None:
    a = launch(playwright, profile_dir(tmp_path, "a"), env=wb.env)
    b = launch(playwright, profile_dir(tmp_path, "b"), env=wb.env)
    try:
        a.call("(l) => self.__webbridge.setProfileLabel(l)", "Work")
        b.call("(l) => self.__webbridge.setProfileLabel(l)", "Personal")
        a.call("() => self.__webbridge.reconnect()")
        b.call("() => self.__webbridge.reconnect()")
        pa = pair(a, wb)
        pb = pair(b, wb)
        assert pa != pb
        listed = {x["pairing_id"]: x for x in bridges(wb)}
        assert set(listed) == {pa, pb}
        assert {listed[pa]["profile"], listed[pb]["profile"]} == {"Work", "Personal"}
        for pairing_id, label in ((pa, "Work"), (pb, "Personal")):
            bridge_id = listed[pairing_id]["bridge_id"]
            info = json.loads(wb.run("call", "browser.info", "--bridge", bridge_id).stdout)
            assert info["body"]["profile"] == label
        pids = {json.loads(wb.run("daemon", "status", "--json").stdout)["pid"]}
        assert len(pids) == 1
    finally:
        a.context.close()
        b.context.close()


def test_revoked_pairing_is_not_silently_renewed(wb: WbEnv, tmp_path: Path, playwright: Any) -> None:
    browser = launch(playwright, profile_dir(tmp_path, "profile"), env=wb.env)
    try:
        pairing_id = pair(browser, wb)
        wb.run("pair", "--revoke", pairing_id)
        state = wait_connection(browser, "not_paired")
        assert state["pairing"]["phase"] == "idle", "the extension must not start a new pairing by itself"
        assert bridges(wb) == []
        assert json.loads(wb.run("pair", "--list", "--json").stdout) == []
        popup = browser.extension_page("ui/popup.html")
        popup.wait_for_selector("#status[data-state='not_paired']")
        popup.wait_for_selector("#pair-button:not([hidden])")
        assert wb.run("call", "browser.info", check=False).returncode == 1
    finally:
        browser.context.close()


def test_key_rotation_keeps_the_bridge_working(wb: WbEnv, tmp_path: Path, playwright: Any) -> None:
    browser = launch(playwright, profile_dir(tmp_path, "profile"), env=wb.env)
    try:
        pairing_id = pair(browser, wb)
        keys = Path(wb.paths.keys)
        before = json.loads(keys.read_text())["pairings"][0]["secret"]
        wb.run("pair", "--rotate", pairing_id)
        after = json.loads(keys.read_text())["pairings"][0]["secret"]
        assert after != before
        assert oct(os.stat(keys).st_mode & 0o777) == "0o600"
        sessions = status(browser)["counters"]["sessions"]
        browser.call("() => self.__webbridge.reconnect()")
        wait_until(lambda: status(browser)["counters"]["sessions"] > sessions, what="a new-key session")
        wait_connection(browser, "connected")
        assert json.loads(wb.run("call", "ping").stdout)["kind"] == "pong"
    finally:
        browser.context.close()
