"""The careful HTTP layer against a real server on 127.0.0.1: every failure is a clear reason."""

from __future__ import annotations

import pytest

from addon.sources.fetch import FetchError, check_url, display_url, fetch

from .conftest import LessonServer


def test_display_url_hides_credentials_and_query_values() -> None:
    shown = display_url("https://alice:s3cret@example.com:8443/l/Lesson_4.md?token=abc123&raw")
    assert shown == "https://example.com:8443/l/Lesson_4.md?token=***&raw"
    assert "s3cret" not in shown and "alice" not in shown and "abc123" not in shown


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://example.com/Lesson_4.md", True),
        ("http://127.0.0.1:8000/x.md", True),
        ("http://localhost/x.md", True),
        ("http://[::1]:9/x.md", True),
        ("http://example.com/Lesson_4.md", False),
        ("http://127.0.0.1.evil.com/x.md", False),
        ("ftp://example.com/x.md", False),
        ("file:///etc/passwd", False),
        ("https:///nohost", False),
    ],
)
def test_only_https_or_local_http(url: str, ok: bool) -> None:
    if ok:
        check_url(url)
    else:
        with pytest.raises(FetchError):
            check_url(url)


def test_conditional_get_reads_no_body_on_304(server: LessonServer) -> None:
    url = server.serve("/a.md", "hello", last_modified="Wed, 21 Oct 2015 07:28:00 GMT")
    first = fetch(url, timeout=2, max_bytes=1000)
    assert first.status == 200 and first.body == b"hello" and first.etag
    again = fetch(url, timeout=2, max_bytes=1000, etag=first.etag)
    assert again.status == 304 and again.body is None
    by_date = fetch(url, timeout=2, max_bytes=1000, last_modified=first.last_modified)
    assert by_date.status == 304
    assert server.bodies["/a.md"] == 1 and server.not_modified["/a.md"] == 2


def test_redirects_followed_a_few_times(server: LessonServer) -> None:
    server.serve("/final.md", "content")
    server.serve("/r1", b"", location="/r2")
    server.serve("/r2", b"", location="/r3")
    server.serve("/r3", b"", location=server.url("/final.md"))
    got = fetch(server.url("/r1"), timeout=2, max_bytes=1000)
    assert got.body == b"content" and got.final_url.endswith("/final.md")
    server.serve("/r0", b"", location="/r1")  # one hop too many
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(server.url("/r0"), timeout=2, max_bytes=1000)


def test_credentials_never_in_the_reason(server: LessonServer) -> None:
    port = server.port
    url = f"http://bob:hunter2@127.0.0.1:{port}/missing.md?key=topsecret"
    with pytest.raises(FetchError) as e:
        fetch(url, timeout=2, max_bytes=1000)
    assert str(e.value).startswith("HTTP 404")
    assert "hunter2" not in str(e.value) and "topsecret" not in str(e.value)


def test_credentials_go_to_their_host_only(server: LessonServer) -> None:
    """user:password in the URL is sent to that host, never to the host a redirect names."""
    server.serve("/final.md", "content")
    server.serve("/moved.md", b"", location=f"http://localhost:{server.port}/final.md")
    got = fetch(f"http://bob:hunter2@127.0.0.1:{server.port}/moved.md", timeout=2, max_bytes=1000)
    assert got.body == b"content"
    assert server.hits["/moved.md"] == 1 and server.hits["/final.md"] == 1
    assert len(server.auth_headers) == 1  # only the first request carried them


def test_a_dripping_server_hits_the_overall_deadline(server: LessonServer) -> None:
    """Each piece arrives within the per-read time-out, but the whole file takes too long."""
    url = server.serve("/drip.md", b"x" * 40_000, drip=0.05)  # ~2 s in total
    with pytest.raises(FetchError, match="too slow"):
        fetch(url, timeout=0.5, max_bytes=1_000_000, total_timeout=0.6)


def test_gzip_body_is_decoded_and_a_gzip_bomb_is_capped(server: LessonServer) -> None:
    import gzip

    text = b"# Lesson\n" * 1000
    url = server.serve("/z.md", gzip.compress(text), headers={"Content-Encoding": "gzip"})
    assert fetch(url, timeout=2, max_bytes=1_000_000).body == text
    bomb = gzip.compress(b"\0" * 50_000_000)  # ~50 KB on the wire, 50 MB decoded
    url = server.serve("/bomb.md", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="too big"):
        fetch(url, timeout=2, max_bytes=1_000_000)
