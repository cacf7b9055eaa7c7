// state.js against a fake chrome.storage (session + local areas and onChanged).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_PROFILE_LABEL,
  clearLastError,
  errorState,
  getProfileLabel,
  onStateChanged,
  readState,
  resetConnectionState,
  setLastError,
  setProfileLabel,
  updateState,
} from "../../extension/background/state.js";

function fakeStorage() {
  /** @type {Set<Function>} */
  const listeners = new Set();
  /** @param {string} name */
  const area = (name) => {
    /** @type {Record<string, unknown>} */
    const data = {};
    return {
      data,
      /** @param {string | string[] | null} keys */
      async get(keys) {
        const list = keys === null ? Object.keys(data) : Array.isArray(keys) ? keys : [keys];
        return Object.fromEntries(list.filter((k) => k in data).map((k) => [k, structuredClone(data[k])]));
      },
      /** @param {Record<string, unknown>} items */
      async set(items) {
        const changes = {};
        for (const [k, v] of Object.entries(items)) {
          changes[k] = { oldValue: data[k], newValue: v };
          data[k] = structuredClone(v);
        }
        for (const l of listeners) l(changes, name);
      },
    };
  };
  const storage = {
    session: area("session"),
    local: area("local"),
    onChanged: { addListener: (f) => listeners.add(f), removeListener: (f) => listeners.delete(f) },
  };
  globalThis.chrome = /** @type {any} */ ({ storage });
  return storage;
}

test("defaults before anything was written", async () => {
  fakeStorage();
  const s = await readState();
  assert.equal(s.connection, "starting");
  assert.equal(s.pairing.phase, "idle");
  assert.equal(s.last_error, null);
  assert.equal(s.profile_label, DEFAULT_PROFILE_LABEL);
});

test("updates, errors and the profile label round-trip; transient state stays in the session area", async () => {
  const storage = fakeStorage();
  await updateState({ connection: "connected", bridge_id: "b1", daemon_version: "1.0" });
  await setLastError({ code: 3002, name: "bad_mac", message: "m" }, "hint");
  const s = await readState();
  assert.equal(s.connection, "connected");
  assert.equal(s.last_error?.code, 3002);
  assert.equal(s.last_error?.hint, "hint");
  assert.ok(!("connection" in storage.local.data), "nothing transient on disk");
  await clearLastError();
  assert.equal((await readState()).last_error, null);
  assert.equal(await setProfileLabel("  Work  "), "Work");
  assert.equal(await getProfileLabel(), "Work");
  assert.equal(storage.local.data.profile_label, "Work");
  assert.equal(await setProfileLabel("   "), DEFAULT_PROFILE_LABEL);
  assert.equal(errorState({ code: 1, name: "n", message: "x".repeat(2000) }).message.length, 1000);
});

test("a reset keeps 'host not found' (no flicker while retrying) but clears a stale 'connected'", async () => {
  fakeStorage();
  await updateState({ connection: "host_not_found" });
  await resetConnectionState();
  assert.equal((await readState()).connection, "host_not_found");
  await updateState({ connection: "connected", bridge_id: "b1", pairing: { phase: "compare", sas: "123456", pair_id: "p", started: 1 } });
  await resetConnectionState();
  const s = await readState();
  assert.equal(s.connection, "connecting");
  assert.equal(s.bridge_id, null);
  assert.equal(s.pairing.phase, "idle");
});

test("onStateChanged fires on every write until unsubscribed", async () => {
  fakeStorage();
  let n = 0;
  const off = onStateChanged(() => n++);
  await updateState({ connection: "connecting" });
  await setProfileLabel("x");
  off();
  await updateState({ connection: "connected" });
  assert.equal(n, 2);
});
