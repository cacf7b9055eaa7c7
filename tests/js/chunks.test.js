import assert from "node:assert/strict";
import { test } from "node:test";

import { ChunkAssembler, MAX_PIECE_BYTES } from "../../extension/protocol/chunks.js";
import { encode } from "../../extension/protocol/b64.js";
import { b64urlToBytes, frameVectors, rejectsWith } from "./helpers.js";

for (const c of frameVectors.chunks) {
  test(`vector chunks ${c.name}`, async () => {
    const asm = new ChunkAssembler();
    for (let k = 0; k < c.frames.length; k++) {
      const want = c.results[k];
      if (want === null) {
        assert.equal(asm.push(c.frames[k]), null, `feed ${k}`);
      } else if ("payload_b64" in want) {
        assert.deepEqual(asm.push(c.frames[k]), b64urlToBytes(want.payload_b64), `feed ${k}`);
      } else {
        await rejectsWith(() => asm.push(c.frames[k]), want.code);
      }
    }
  });
}

/** @param {string} id @param {number} i @param {number} n @param {Uint8Array} piece */
const chunk = (id, i, n, piece) => ({ v: 1, chunk: { id, i, n }, data: encode(piece) });

test("pieces over 700 000 bytes are refused", async () => {
  const asm = new ChunkAssembler();
  await rejectsWith(() => asm.push(chunk("c1", 0, 2, new Uint8Array(MAX_PIECE_BYTES + 1))), 1010);
  assert.equal(asm.push(chunk("c2", 0, 2, new Uint8Array(MAX_PIECE_BYTES))), null);
  assert.equal(asm.push(chunk("c2", 1, 2, new Uint8Array([1])))?.length, MAX_PIECE_BYTES + 1);
  assert.equal(asm.heldBytes, 0);
});

test("at most 64 MiB is held across open streams", async () => {
  const asm = new ChunkAssembler();
  const piece = new Uint8Array(MAX_PIECE_BYTES);
  const perStream = 24; // 4 streams × 24 × 700 000 > 64 MiB
  let refused = null;
  outer: for (let i = 0; i < perStream; i++) {
    for (const id of ["a", "b", "c", "d"]) {
      try {
        asm.push(chunk(id, i, perStream + 1, piece));
      } catch (err) {
        refused = err;
        break outer;
      }
    }
  }
  assert.equal(/** @type {any} */ (refused)?.code, 1010);
  assert.ok(asm.heldBytes <= 64 * 1024 * 1024);
  assert.equal(asm.openStreams, 3, "only the stream that crossed the cap is dropped");
});

test("a stream's data is released once it completes, and reset() forgets everything", () => {
  const asm = new ChunkAssembler({ maxBytes: 10 });
  assert.equal(asm.push(chunk("x", 0, 2, new Uint8Array(5))), null);
  assert.equal(asm.push(chunk("x", 1, 2, new Uint8Array(5)))?.length, 10);
  assert.equal(asm.push(chunk("y", 0, 2, new Uint8Array(6))), null);
  asm.reset();
  assert.equal(asm.openStreams, 0);
  assert.equal(asm.heldBytes, 0);
});
