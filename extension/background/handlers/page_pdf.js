/**
 * `page.pdf` (daemon → extension): the page printed to PDF through CDP `Page.printToPDF`, as base64 in the
 * reply (the daemon writes the file). Tab checks first (6005, 6004, 6002 with `expect_url`); a PDF larger
 * than the bridge carries is 6010; a page the browser cannot print is 6007.
 */

import { checkedTab } from "../act_target.js";
import { send } from "../debugger.js";
import { checkCaptureSize } from "./page_screenshot.js";

/** Paper sizes in inches (CDP's unit). */
export const PAPER = Object.freeze({ a4: { paperWidth: 8.27, paperHeight: 11.69 }, letter: { paperWidth: 8.5, paperHeight: 11 } });

/**
 * @param {{body: Record<string, unknown>}} msg
 * @returns {Promise<{kind: string, body: Record<string, unknown>}>}
 */
export async function pagePdf(msg) {
  const b = /** @type {{tab_id: number, paper?: "a4" | "letter", landscape?: boolean, background?: boolean, expect_url?: string | null}} */ (
    /** @type {unknown} */ (msg.body)
  );
  const { url } = await checkedTab(b.tab_id, b.expect_url);
  const pdf = await send(b.tab_id, "Page.printToPDF", {
    ...PAPER[b.paper ?? "a4"],
    landscape: b.landscape ?? false,
    printBackground: b.background ?? true,
    transferMode: "ReturnAsBase64",
  });
  const data = checkCaptureSize(pdf?.data, "PDF");
  return { kind: "page.pdf.result", body: { url: url.slice(0, 8192), data } };
}
