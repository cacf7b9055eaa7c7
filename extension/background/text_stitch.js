/**
 * `page.text` across frames, background side: put each child frame's markdown where its `<iframe>` sits in
 * the parent's text. Pure (tests/js/page_io.test.js).
 *
 * content/text.js prints each rendered iframe as a marker `\u0001<token>\u0001` (the token its parent gave
 * that iframe element, content/frames.js) and reports the token its own parent gave it. A marker alone on a
 * line becomes the child's text between `--- frame: URL ---` and `--- end of frame ---` lines; a marker
 * inside a line (an iframe in a table cell or a link) becomes the child's text on one line. A child frame
 * whose marker was not found (its token never arrived) follows its parent's text under its frame line, as
 * before; a marker no frame claims (a frame that cannot be read) is dropped.
 */

const MARKER = /\u0001([0-9a-z]{1,32})\u0001/g;

/**
 * @typedef {{frameId: number, parentFrameId: number, url: string, markdown: string, token: string | null}} TextPart
 */

/**
 * @param {TextPart[]} parts  the top frame first
 * @returns {string}  the whole page's markdown (not yet cut to a budget)
 */
export function stitchText(parts) {
  if (parts.length === 0) return "";
  /** @type {Set<number>} frames already printed (a page that forges tokens cannot print one twice) */
  const used = new Set();

  /**
   * @param {TextPart} part
   * @returns {string}
   */
  const render = (part) => {
    used.add(part.frameId);
    const children = parts.filter((p) => p.parentFrameId === part.frameId);
    const lines = part.markdown.split("\n").map((line) => {
      const whole = /^\s*\u0001([0-9a-z]{1,32})\u0001\s*$/.exec(line);
      if (whole) {
        const child = children.find((c) => c.token === whole[1] && !used.has(c.frameId));
        return child ? framed(child) : null;
      }
      return line.replace(MARKER, (_, token) => {
        const child = children.find((c) => c.token === token && !used.has(c.frameId));
        return child ? render(child).replace(/\s+/g, " ").trim() : "";
      });
    });
    let text = lines.filter((l) => l !== null).join("\n").replace(/\n{3,}/g, "\n\n").trim();
    for (const child of children) {
      if (!used.has(child.frameId)) text += `\n\n${framed(child)}`;
    }
    return text;
  };

  /** @param {TextPart} child */
  const framed = (child) => {
    const inner = render(child);
    return `--- frame: ${child.url.slice(0, 500)} ---\n\n${inner}${inner ? "\n\n" : ""}--- end of frame ---`;
  };

  return render(parts[0]);
}
