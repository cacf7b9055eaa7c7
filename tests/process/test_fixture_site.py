"""The fixture site itself: the servers start, sign-in gates the private pages, uploads are reported."""

from __future__ import annotations

import html
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from ..fixtures.site import serve


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_private_pages_need_the_session_cookie_and_it_persists() -> None:
    with serve() as site:
        plain = urllib.request.build_opener(_NoRedirect)
        try:
            plain.open(site.url("/inbox"), timeout=10)
            raise AssertionError("expected a redirect")
        except urllib.error.HTTPError as e:
            assert e.code == 302 and e.headers["Location"] == "/login?next=/inbox"

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        data = urllib.parse.urlencode({"username": site.username, "password": site.password}).encode()
        body = opener.open(site.url("/login"), data=data, timeout=10).read().decode()
        assert "Signed in as <b id=\"user\">alice</b>" in body and "<h1>Inbox</h1>" in body
        (cookie,) = list(jar)
        assert cookie.name == "session" and cookie.expires is not None  # Max-Age: survives a restart

        assert opener.open(site.cross_url("/frame"), timeout=10).status == 200
        assert site.cross != site.base


def test_upload_reports_what_it_received() -> None:
    with serve() as site:
        boundary = "xyzzy"
        payload = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\nabc\r\n--{boundary}--\r\n"
        ).encode()
        req = urllib.request.Request(
            site.url("/upload"), data=payload,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        body = urllib.request.urlopen(req, timeout=10).read().decode()
        found = re.search(r'<pre id="received">(.*?)</pre>', body)
        assert found is not None
        received = json.loads(html.unescape(found.group(1)))
        assert received["fields"] == {"title": "Hello"}
        assert received["files"][0]["name"] == "a.txt" and received["files"][0]["size"] == 3
        assert site.uploads == received["files"]
