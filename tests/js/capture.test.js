// The pure parts of the capture and transfer handlers: image sizes read from PNG/JPEG heads, CDP capture
// parameters per area, the bridge size cap (kept equal to the Python model's), the CDP node search of the
// upload, download matching and outcomes, and the trusted drag's path.
import assert from "node:assert/strict";
import { test } from "node:test";

import { baseName, matches, outcome } from "../../extension/background/handlers/downloads_wait.js";
import { STEPS, path } from "../../extension/background/handlers/page_drag.js";
import { PAPER } from "../../extension/background/handlers/page_pdf.js";
import {
  MAX_CAPTURE_B64,
  MAX_FULL_PAGE_PX,
  captureParams,
  checkCaptureSize,
  imageSize,
} from "../../extension/background/handlers/page_screenshot.js";
import { findMarkedNode } from "../../extension/background/handlers/page_upload.js";
import { rejectsWith, schema } from "./helpers.js";

/** @param {number[]} bytes */
const b64 = (bytes) => Buffer.from(bytes).toString("base64");
/** @param {number} n */
const be16 = (n) => [n >> 8, n & 255];
/** @param {number} n */
const be32 = (n) => [...be16(n >>> 16), ...be16(n & 0xffff)];

test("image sizes come from the PNG IHDR and the JPEG frame header", () => {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, ...be32(2560), ...be32(70_000), 8, 6, 0, 0, 0];
  assert.deepEqual(imageSize(b64(png)), { width: 2560, height: 70_000 });
  // SOI, an APP0 segment and a DQT segment to skip, then SOF0 (precision, height, width).
  const jpeg = [0xff, 0xd8, 0xff, 0xe0, ...be16(6), 1, 2, 3, 4, 0xff, 0xdb, ...be16(4), 9, 9, 0xff, 0xc0, ...be16(17), 8, ...be16(480), ...be16(640), 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  assert.deepEqual(imageSize(b64(jpeg)), { width: 640, height: 480 });
  // DHT (0xc4) looks like a SOF marker number but is not one.
  const withDht = [0xff, 0xd8, 0xff, 0xc4, ...be16(4), 0, 0, 0xff, 0xc2, ...be16(17), 8, ...be16(10), ...be16(20), 3, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  assert.deepEqual(imageSize(b64(withDht)), { width: 20, height: 10 });
  assert.equal(imageSize(b64([1, 2, 3, 4, 5, 6])), null);
  assert.equal(imageSize(b64([0xff, 0xd8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0])), null);
});

const METRICS = {
  cssContentSize: { width: 1280.4, height: 3000.2 },
  cssVisualViewport: { pageX: 0, pageY: 500, clientWidth: 1280, clientHeight: 633 },
};

test("capture parameters: the page's viewport, the whole document (capped), an element in page space", () => {
  const vp = captureParams("viewport", METRICS, null, "png", 80);
  assert.deepEqual(vp.params, { format: "png", captureBeyondViewport: true, clip: { x: 0, y: 500, width: 1280, height: 633, scale: 1 } });
  const full = captureParams("full", METRICS, null, "jpeg", 80);
  assert.deepEqual(full.params.clip, { x: 0, y: 0, width: 1281, height: 3001, scale: 1 });
  assert.equal(full.params.quality, 80);
  const huge = captureParams("full", { ...METRICS, cssContentSize: { width: 800, height: 1e6 } }, null, "png", null);
  assert.equal(huge.height, MAX_FULL_PAGE_PX);
  assert.equal(huge.cut, true, "a cut capture says so");
  assert.equal(full.cut, false);
  const el = captureParams("element", METRICS, { x: 10, y: 20.5, width: 120, height: 79.6 }, "png", null);
  assert.deepEqual(el.params.clip, { x: 10, y: 520.5, width: 120, height: 80, scale: 1 });
  assert.equal(captureParams("full", METRICS, null, "png", 50).params.quality, undefined, "quality is for jpeg only");
  assert.throws(() => captureParams("element", METRICS, null, "png", null), /needs a ref/);
});

test("the capture cap equals the daemon's model and is enforced with 6010", async () => {
  assert.equal(MAX_CAPTURE_B64, schema.kinds["page.screenshot.result"].body.properties.data.maxLength);
  assert.equal(MAX_CAPTURE_B64, schema.kinds["page.pdf.result"].body.properties.data.maxLength);
  assert.equal(checkCaptureSize("QUJD", "screenshot"), "QUJD");
  const err = await rejectsWith(() => checkCaptureSize("A".repeat(MAX_CAPTURE_B64 + 4), "PDF"), 6010);
  assert.match(err.message, /PDF is about 23 MB/);
  await rejectsWith(() => checkCaptureSize("", "PDF"), 6007);
  assert.deepEqual(Object.keys(PAPER), ["a4", "letter"]);
});

test("the upload's marked node is found through shadow roots and frame documents", () => {
  const mark = (v) => ["type", "file", "data-webbridge-upload", v];
  const root = {
    backendNodeId: 1,
    children: [
      { backendNodeId: 2, attributes: mark("other"), children: [] },
      { backendNodeId: 3, attributes: ["id", "host"], shadowRoots: [{ backendNodeId: 4, children: [{ backendNodeId: 5, attributes: mark("t1") }] }] },
      { backendNodeId: 6, attributes: ["src", "/f"], contentDocument: { backendNodeId: 7, children: [{ backendNodeId: 8, attributes: mark("t2") }] } },
    ],
  };
  assert.equal(findMarkedNode(root, "data-webbridge-upload", "t1"), 5);
  assert.equal(findMarkedNode(root, "data-webbridge-upload", "t2"), 8);
  assert.equal(findMarkedNode(root, "data-webbridge-upload", "t3"), null);
  assert.equal(findMarkedNode(root, "data-webbridge-upload", "file"), null, "attribute values are matched by name");
});

test("download candidates: time, URL, site and (when finished) file name", async () => {
  const item = {
    id: 4, url: "https://files.test/get?id=9", finalUrl: "https://cdn.test/Report.CSV", referrer: "https://shop.test/orders",
    filename: "/home/u/Downloads/Report.CSV", startTime: "2026-01-01T00:00:10.000Z", state: "complete",
    fileSize: 0, totalBytes: 30, bytesReceived: 30, mime: "text/csv",
  };
  const at = Date.parse(item.startTime);
  const f = { origin: "https://shop.test", url: "report", filename: "report.csv", since: at };
  assert.equal(matches(item, f, true), true);
  assert.equal(matches(item, { ...f, since: at + 1 }, true), false);
  assert.equal(matches(item, { ...f, origin: "https://other.test" }, true), false);
  assert.equal(matches({ ...item, referrer: "" }, { ...f, origin: "https://files.test" }, true), true, "no referrer: the URL's site");
  assert.equal(matches(item, { ...f, url: "get?id=9" }, true), true, "the original URL counts too");
  assert.equal(matches({ ...item, filename: "" }, f, false), true, "the name is not known before it finishes");
  assert.equal(matches({ ...item, filename: "/x/other.txt" }, f, true), false);
  assert.equal(baseName("C:\\Users\\u\\Downloads\\a.pdf"), "a.pdf");

  assert.deepEqual(outcome(item), { id: 4, path: "/home/u/Downloads/Report.CSV", size: 30, mime: "text/csv", url: "https://cdn.test/Report.CSV" });
  const err = await rejectsWith(() => outcome({ ...item, state: "interrupted", error: "NETWORK_FAILED" }), 6011);
  assert.match(err.message, /Report\.CSV was interrupted: NETWORK_FAILED/);
});

test("the trusted drag moves in equal steps and ends on the target", () => {
  const p = path({ x: 0, y: 0 }, { x: 120, y: -60 }, STEPS);
  assert.equal(p.length, STEPS);
  assert.deepEqual(p.at(-1), { x: 120, y: -60 });
  assert.deepEqual(p[0], { x: 120 / STEPS, y: -60 / STEPS });
});
