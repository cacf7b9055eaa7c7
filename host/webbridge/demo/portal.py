"""The demo's bundled portal: a tiny invoicing site on 127.0.0.1 with a sign-in, served from a thread.

``/login`` (GET form, POST sets an HttpOnly session cookie), then, signed in only: ``/`` (home with links),
``/inbox``, ``/invoices`` (a table the "Show open only" button filters in the page, client side). Everything
else is 404. The demo signs in as the user before the agent starts, so the agent works in a logged-in
session as it would in the user's own browser.
"""

from __future__ import annotations

import html
import http.server
import secrets
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

USER = "demo@example.test"
PASSWORD = "demo"  # noqa: S105 - a throwaway account on a throwaway local site

#: (number, customer, amount in EUR, status, due date)
INVOICES: tuple[tuple[str, str, str, str, str], ...] = (
    ("INV-1041", "Northwind Traders", "1,250.00", "Open", "2026-12-05"),
    ("INV-1042", "Contoso Ltd", "980.40", "Paid", "2026-11-20"),
    ("INV-1043", "Fabrikam Inc", "3,410.00", "Open", "2026-12-12"),
    ("INV-1044", "Tailspin Toys", "75.90", "Paid", "2026-11-02"),
    ("INV-1045", "Wide World Importers", "2,048.00", "Open", "2026-12-19"),
    ("INV-1046", "Adventure Works", "640.00", "Paid", "2026-10-28"),
)
OPEN_INVOICES = tuple(row for row in INVOICES if row[3] == "Open")


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        '<header><h1>Acme portal</h1><nav aria-label="Main"><a href="/">Home</a>'
        ' · <a href="/inbox">Inbox</a> · <a href="/invoices">Invoices</a></nav></header>'
        f"<main>{body}</main></body></html>"
    ).encode()


def _login_page(error: str = "") -> bytes:
    note = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return _page("Acme portal — Sign in", f"""<h2>Sign in</h2>{note}
<form method="post" action="/login">
<label>Email <input id="email" name="email" type="email" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
<button id="sign-in" type="submit">Sign in</button></form>""")


def _home() -> bytes:
    return _page("Acme portal — Home", f"""<h2>Welcome back</h2><p>Signed in as <b>{USER}</b></p>
<ul><li><a href="/inbox">Inbox</a> (2 unread)</li><li><a href="/invoices">Invoices</a></li></ul>""")


def _inbox() -> bytes:
    return _page("Acme portal — Inbox", """<h2>Inbox</h2>
<ul><li>Quarterly report is ready</li><li>Please chase the open invoices before the 20th</li></ul>""")


def _invoices() -> bytes:
    rows = "".join(
        f'<tr data-status="{s.lower()}"><td>{n}</td><td>{html.escape(c)}</td><td>{a}</td><td>{s}</td>'
        f"<td>{d}</td></tr>"
        for n, c, a, s, d in INVOICES
    )
    script = """<script>
document.getElementById('open-only').addEventListener('click', () => {
  for (const tr of document.querySelectorAll('#invoices tbody tr'))
    if (tr.dataset.status !== 'open') tr.remove();
  document.getElementById('showing').textContent = 'Showing open invoices';
});
</script>"""
    return _page("Acme portal — Invoices", f"""<h2>Invoices</h2>
<p id="showing">Showing all invoices</p>
<button id="open-only" type="button">Show open only</button>
<table id="invoices"><thead><tr><th>Invoice</th><th>Customer</th><th>Amount (EUR)</th><th>Status</th>
<th>Due</th></tr></thead><tbody>{rows}</tbody></table>{script}""")


@dataclass
class Portal:
    base: str
    #: Session cookie values the portal issued (the demo signs in before the agent starts).
    sessions: set[str]

    @property
    def login_url(self) -> str:
        return self.base + "/login"


def _handler(sessions: set[str]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if body:
                self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _signed_in(self) -> bool:
            for part in self.headers.get("Cookie", "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == "session" and value in sessions:
                    return True
            return False

        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            if path == "/login":
                self._send(200, _login_page())
                return
            pages = {"/": _home, "/inbox": _inbox, "/invoices": _invoices}
            if path not in pages:
                self._send(404, _page("Not found", "<h2>Not found</h2>"))
            elif not self._signed_in():
                self._send(302, headers={"Location": "/login"})
            else:
                self._send(200, pages[path]())

        def do_POST(self) -> None:
            if urllib.parse.urlsplit(self.path).path != "/login":
                self._send(404)
                return
            length = min(int(self.headers.get("Content-Length") or 0), 10_000)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            email, password = form.get("email", [""])[0], form.get("password", [""])[0]
            if email != USER or password != PASSWORD:
                self._send(200, _login_page("Wrong email or password."))
                return
            token = secrets.token_urlsafe(16)
            sessions.add(token)
            cookie = f"session={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600"
            self._send(303, headers={"Location": "/", "Set-Cookie": cookie})

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve() -> Iterator[Portal]:
    """Serve the portal on 127.0.0.1 (a port the OS picks) until the block ends."""
    sessions: set[str] = set()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(sessions))
    thread = threading.Thread(target=server.serve_forever, name="demo-portal", daemon=True)
    thread.start()
    try:
        yield Portal(base=f"http://127.0.0.1:{server.server_address[1]}", sessions=sessions)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
