"""Careful HTTP GET for lesson sources (``requests``, no aqt, no anki).

Rules, all enforced here:
- https only; plain http only for localhost / 127.0.0.1 / ::1;
- redirects followed by hand, at most ``MAX_REDIRECTS``, each target checked by the same rule;
- conditional requests (If-None-Match / If-Modified-Since): a 304 reads no body;
- a time-out per request and an overall deadline per file (a slow drip cannot hang a sync);
- a size cap: Content-Length checked first, then the body is streamed and reading stops past it;
- a body shorter than its Content-Length is an error (truncated), not a lesson;
- nothing fetched is executed: bodies are returned as bytes for the parser;
- no credentials in messages: names shown to people go through ``display_url``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import requests
import urllib3

MAX_REDIRECTS = 3
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
USER_AGENT = "LessonFlashcards-Anki-addon (+lesson sources)"
_CHUNK = 64 * 1024


class FetchError(Exception):
    """A URL that could not be fetched; ``str()`` is a short reason without the URL."""


@dataclass
class FetchResult:
    status: int  # 200 or 304
    body: bytes | None  # None for 304
    etag: str | None
    last_modified: str | None
    final_url: str  # after redirects (used to resolve relative index entries)


def display_url(url: str) -> str:
    """The URL as it may be printed: no user name or password, query values hidden."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "<invalid URL>"
    query = ""
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = "&".join(f"{k}=***" if v else k for k, v in pairs) or "***"
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def is_local_host(host: str | None) -> bool:
    return (host or "").lower().strip("[]") in LOCAL_HOSTS


def check_url(url: str) -> None:
    """Raise FetchError unless the URL may be fetched (https, or http to localhost)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a bad port
    except ValueError as e:
        raise FetchError(f"not a valid URL ({e})") from None
    scheme = parts.scheme.lower()
    if not host:
        raise FetchError("not a valid URL (no host)")
    if scheme == "https":
        return
    if scheme == "http":
        if is_local_host(host):
            return
        raise FetchError(
            "plain http is refused (only https, or http to localhost); use an https:// URL"
        )
    raise FetchError(f"unsupported URL scheme {parts.scheme!r}; use https://")


def _reason_for(exc: requests.RequestException, timeout: float) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"timed out connecting (after {timeout:g} s)"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"timed out (no data for {timeout:g} s)"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS/certificate error (the server's certificate could not be verified)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused (is the server down?)"
        if (
            "name or service" in text
            or "nodename" in text
            or "getaddrinfo" in text
            or "resolve" in text
        ):
            return "host not found (check the address, or your internet connection)"
        if "incompleteread" in text or "connection broken" in text:
            return "connection broken before the whole file arrived (truncated)"
        return "could not connect (is the server down?)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection broken before the whole file arrived (truncated)"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "the server sent a body that could not be decompressed"
    return f"request failed ({type(exc).__name__})"


def fetch(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    session: requests.Session | None = None,
    total_timeout: float | None = None,
) -> FetchResult:
    """GET ``url`` under the rules above. Raises FetchError with a short, credential-free reason.

    ``timeout`` bounds connecting and each wait for data; ``total_timeout`` (default
    ``deadline_secs(timeout)``) bounds the whole download, so a server dripping bytes fails too.
    """
    check_url(url)
    sess = session or requests.Session()
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/markdown, text/plain, application/json, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    total = total_timeout if total_timeout is not None else deadline_secs(timeout)
    deadline = time.monotonic() + total
    current = url
    try:
        for hop in range(MAX_REDIRECTS + 1):
            try:
                resp = sess.get(
                    current, headers=headers, timeout=timeout, stream=True, allow_redirects=False
                )
            except requests.RequestException as e:
                raise FetchError(_reason_for(e, timeout)) from None
            with resp:
                if resp.is_redirect or resp.status_code in (301, 302, 303, 307, 308):
                    location = resp.headers.get("Location")
                    if not location:
                        raise FetchError(f"HTTP {resp.status_code} redirect without a Location")
                    if hop == MAX_REDIRECTS:
                        raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")
                    target = urljoin(current, location)
                    try:
                        check_url(target)
                    except FetchError as e:
                        raise FetchError(
                            f"redirect to {display_url(target)} refused: {e}"
                        ) from None
                    if urlsplit(target).hostname != urlsplit(current).hostname:
                        # validators belong to the first server only
                        headers.pop("If-None-Match", None)
                        headers.pop("If-Modified-Since", None)
                    current = target
                    continue
                if resp.status_code == 304:
                    if not (etag or last_modified):
                        raise FetchError(
                            "HTTP 304 Not Modified to a request that was not conditional"
                        )
                    return FetchResult(
                        304,
                        None,
                        resp.headers.get("ETag") or etag,
                        resp.headers.get("Last-Modified") or last_modified,
                        current,
                    )
                if resp.status_code != 200:
                    reason = (resp.reason or "").strip()
                    raise FetchError(f"HTTP {resp.status_code}{' ' + reason if reason else ''}")
                body = _read_body(resp, max_bytes, deadline, timeout, total)
                return FetchResult(
                    200, body, resp.headers.get("ETag"), resp.headers.get("Last-Modified"), current
                )
        raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")  # pragma: no cover
    finally:
        if session is None:
            sess.close()


def _read_body(
    resp: requests.Response, max_bytes: int, deadline: float, timeout: float, total: float
) -> bytes:
    limit_text = f"{max_bytes / 1_000_000:g} MB"
    declared = resp.headers.get("Content-Length")
    expected: int | None = None
    if declared is not None:
        try:
            expected = int(declared)
        except ValueError:
            raise FetchError(f"invalid Content-Length {declared[:20]!r}") from None
        if expected > max_bytes:
            raise FetchError(
                f"too big: {expected:,} bytes, over the {limit_text} limit (max_download_mb)"
            )
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in _pieces(resp):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"too big: over the {limit_text} limit (max_download_mb)")
            if time.monotonic() > deadline:
                raise FetchError(f"too slow: the download took longer than {total:g} s")
            chunks.append(chunk)
    except requests.RequestException as e:
        raise FetchError(_reason_for(e, timeout)) from None
    except urllib3.exceptions.ReadTimeoutError:
        raise FetchError(f"timed out (no data for {timeout:g} s)") from None
    except urllib3.exceptions.ProtocolError:
        raise FetchError("connection broken before the whole file arrived (truncated)") from None
    except urllib3.exceptions.DecodeError:
        raise FetchError("the server sent a body that could not be decompressed") from None
    except (urllib3.exceptions.HTTPError, OSError) as e:
        raise FetchError(f"connection broken while reading ({type(e).__name__})") from None
    body = b"".join(chunks)
    encoded = resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
    if expected is not None and not encoded and len(body) != expected:
        raise FetchError(
            f"truncated: got {len(body):,} of {expected:,} bytes (Content-Length); try again later"
        )
    return body


def _pieces(resp: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: ``read1`` returns after one socket read, so the overall deadline
    is checked even when a server drips a few bytes at a time (``iter_content`` would wait for
    a full chunk). Decompressed, so the size cap counts what would be parsed."""
    read1 = getattr(resp.raw, "read1", None)
    if read1 is None:  # older urllib3
        yield from resp.iter_content(8192)
        return
    while True:
        data = read1(_CHUNK, decode_content=True)
        if not data:
            return
        yield data


def deadline_secs(timeout: float) -> float:
    return max(timeout * 3, timeout + 5)
