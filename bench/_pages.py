"""Pages for the snapshot benchmark: synthetic pages of N elements (flat and nested), the action pages of
B4/B7/B5, and a static server (127.0.0.1, port 0) that also serves the real-page corpus."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

LEAVES: list[Callable[[int], str]] = [
    lambda i: f'<a href="#l{i}">Link {i}</a>',
    lambda i: f"<button>Button {i}</button>",
    lambda i: f"<span>Text {i}</span>",
    lambda i: f'<input type="checkbox" aria-label="Check {i}">',
    lambda i: f'<input aria-label="Field {i}">',
    lambda i: f"<p>Paragraph {i} with a few words of text</p>",
]


def flat(n: int) -> str:
    """About ``n`` elements, all siblings in one container."""
    leaves = "".join(LEAVES[i % len(LEAVES)](i) for i in range(max(n - 6, 1)))
    return (
        f"<!doctype html><html><head><title>flat {n}</title></head><body><main>{leaves}</main></body></html>"
    )


def nested(n: int) -> str:
    """About ``n`` elements in a tree of divs (fan-out 4), leaves at the bottom (depth ≈ log4 n)."""
    leaves = max((3 * n) // 4, 1)
    counter = iter(range(leaves))

    def build(count: int) -> str:
        if count <= 4:
            return "".join(LEAVES[(i := next(counter)) % len(LEAVES)](i) for _ in range(count))
        parts, left = [], count
        for k in range(4):
            take = left // (4 - k)
            left -= take
            if take:
                parts.append(f"<div>{build(take)}</div>")
        return "".join(parts)

    body = build(leaves)
    return (
        f"<!doctype html><html><head><title>nested {n}</title></head><body><main>{body}</main></body></html>"
    )


FILLER = "".join(
    f'<section><h2>Section {i}</h2><p>Some text for section {i}.</p><a href="#s{i}">Read {i}</a>'
    f"<button>Save {i}</button></section>"
    for i in range(120)
)

MENU_ITEMS = "".join(f'<li role="menuitem" tabindex="-1">Item {i}</li>' for i in range(8))

#: B4: local actions (open a menu, type, toggle) on a page of realistic size.
B4 = f"""<!doctype html><html><head><title>B4</title></head><body>
<header><nav aria-label="Main"><a href="#a">Home</a> <a href="#b">Docs</a></nav></header><main>
<button id="menu-button" aria-expanded="false" aria-controls="menu">Menu</button>
<ul id="menu" role="menu" hidden>{MENU_ITEMS}</ul>
<label>Search <input id="q"></label>
<label><input type="checkbox" id="dark"> Dark mode</label>
{FILLER}</main>
<script>
const b = document.getElementById("menu-button"), m = document.getElementById("menu");
b.onclick = () => {{
  const open = m.hidden; m.hidden = !open; b.setAttribute("aria-expanded", String(open));
}};
</script></body></html>"""

#: B7: one click target, a text field, a select; B5: a list that re-renders every node.
B7 = """<!doctype html><html><head><title>B7</title></head><body><main>
<button id="counter">Count</button> <output id="count">0</output>
<label>Name <input id="name"></label>
<label>Colour <select id="colour">
  <option>Red</option><option>Green</option><option>Blue</option></select></label>
<button id="rerender">Re-render</button>
<ul id="list"></ul>
</main><script>
let n = 0;
document.getElementById("counter").onclick = () => { document.getElementById("count").textContent = ++n; };
const render = () => { document.getElementById("list").innerHTML =
  ["a", "b", "c", "d", "e"].map((x) => `<li><button>Pick ${x}</button></li>`).join(""); };
document.getElementById("rerender").onclick = render;
render();
</script></body></html>"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        q = parse_qs(url.query)
        page: str | None = None
        if url.path == "/flat":
            page = flat(int(q.get("n", ["1000"])[0]))
        elif url.path == "/nested":
            page = nested(int(q.get("n", ["1000"])[0]))
        elif url.path == "/b4":
            page = B4
        elif url.path == "/b7":
            page = B7
        if page is None:
            super().do_GET()
            return
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve(corpus: Path | None) -> Iterator[str]:
    """Serve the synthetic pages (and the corpus folder's files at /corpus/…); yields the base URL."""
    root = corpus.parent if corpus else Path(__file__).parent
    handler = functools.partial(_Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
