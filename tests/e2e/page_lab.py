"""Small pages for the snapshot and action tests that the fixture site does not have: hidden and zero-size
elements, a hidden body, a button that ignores untrusted events without touching the DOM, an event log,
clicks whose effect the DOM does not show (a download, a request), `:hover` rules that reveal or only restyle.

Pages record what happened in JavaScript variables (``window.log``), never in the DOM, so that recording
does not count as an effect of the action under test. Served by aiohttp on 127.0.0.1 (port 0) in a thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from ..fixtures.threaded_server import Listen, serve_in_thread

HIDDEN = """<!doctype html><html><head><title>Hidden things</title></head><body>
<main>
<h1>Hidden things</h1>
<button id="shown">Shown button</button>
<button id="none" style="display:none">Display none button</button>
<div style="display:none"><a href="/x">Link in hidden div</a></div>
<button id="invisible" style="visibility:hidden">Invisible button</button>
<div style="visibility:hidden"><button style="visibility:visible">Visible inside invisible</button></div>
<button id="zero" style="width:0;height:0;padding:0;border:0;overflow:hidden">Zero button</button>
<details><summary>More</summary><button>Inside closed details</button></details>
<div style="display:contents"><button>In display contents</button></div>
<div id="covered-wrap" style="position:relative">
  <button id="covered">Covered button</button>
  <div style="position:absolute;inset:0;background:rgba(0,0,0,.3)"></div>
</div>
<button id="disabled" disabled>Disabled button</button>
<div style="margin-top:2400px"><button id="far">Far below button</button></div>
</main></body></html>"""

HIDDEN_BODY = """<!doctype html><html><head><title>Hidden body</title>
<style>body { visibility: hidden !important; }</style></head>
<body><h1>Nothing to see</h1><a href="/x">A link</a><button>A button</button></body></html>"""

TRUSTED_ONLY = """<!doctype html><html><head><title>Trusted only</title></head><body>
<h1>Trusted only</h1>
<button id="go">Go</button>
<p id="status">waiting</p>
<script>
window.untrusted = 0;
document.getElementById("go").addEventListener("click", (e) => {
  if (!e.isTrusted) { window.untrusted++; return; }  // no DOM change at all: like an anti-bot widget
  document.getElementById("status").textContent = "clicked for real";
});
</script></body></html>"""

EVENTS = """<!doctype html><html><head><title>Events</title></head><body>
<h1>Events</h1>
<button id="target">Target</button>
<input id="field" aria-label="Field">
<a id="next" href="#next">Next link</a>
<div id="box" tabindex="0" aria-label="Scroll box" style="height:100px;overflow:auto;border:1px solid">
  <div style="height:1000px">tall content</div></div>
<div style="height:3000px"></div>
<button id="bottom">Bottom button</button>
<script>
window.log = [];
const t = document.getElementById("target");
for (const type of ["click", "dblclick", "contextmenu", "mouseover", "mouseenter", "mousedown", "mouseup",
                    "pointerdown", "focus"])
  t.addEventListener(type, (e) => window.log.push(type + ":" + e.button));
document.addEventListener("keydown",
  (e) => window.log.push("keydown:" + e.key + ":" + e.ctrlKey + ":" + e.shiftKey));
document.getElementById("field").addEventListener("focus", () => window.log.push("field-focus"));
t.addEventListener("contextmenu", (e) => e.preventDefault());
</script></body></html>"""

ONCE = """<!doctype html><html><head><title>Once</title></head><body>
<h1>Once</h1>
<p><a id="dl" href="/events" download="events.html">Download events page</a></p>
<p><button id="ping">Ping server</button></p>
<p><span id="nothing">Plain text</span></p>
<script>
// Counted in variables, never in the DOM: each action must have no effect the DOM path can see.
window.downloads = 0; window.pings = 0;
document.getElementById("dl").addEventListener("click", () => { window.downloads++; });
document.getElementById("ping").addEventListener("click", () => { window.pings++; fetch("/hidden"); });
</script></body></html>"""

HOVER = """<!doctype html><html><head><title>Hover</title><style>
#menu .sub { display: none; }
#menu:hover .sub { display: block; }
a.plain:hover { color: red; }
</style></head><body>
<h1>Hover</h1>
<nav id="menu"><button>Products</button><ul class="sub"><li><a href="/events">Hidden offer</a></li></ul></nav>
<p><a class="plain" href="/events">Plain link</a></p>
</body></html>"""

PAGES = {
    "/hidden": HIDDEN,
    "/hidden-body": HIDDEN_BODY,
    "/trusted-only": TRUSTED_ONLY,
    "/events": EVENTS,
    "/once": ONCE,
    "/hover": HOVER,
}


async def _page(request: web.Request) -> web.Response:
    return web.Response(text=PAGES[request.path], content_type="text/html")


@contextmanager
def serve_lab() -> Iterator[str]:
    """Serve the pages; yields the base URL (no trailing slash)."""

    async def start(listen: Listen) -> str:
        app = web.Application()
        for path in PAGES:
            app.router.add_get(path, _page)
        return f"http://127.0.0.1:{await listen(app)}"

    with serve_in_thread(start, "the lab server") as base:
        yield base
