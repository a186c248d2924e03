"""A real HTTP server on 127.0.0.1 (threaded) serving lesson files, with failures on request."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from addon.config import Config
from tests.conftest import SHARED_LESSONS


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    etag: bool = True  # send an ETag (hash of the body) and honour If-None-Match
    last_modified: str | None = None  # send it and honour If-Modified-Since (exact match)
    delay: float = 0.0  # seconds before answering
    drip: float = 0.0  # seconds between 1 KB pieces of the body (a slow but alive server)
    content_length: int | None = None  # override the header (e.g. more than is sent: truncated)
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    location: str | None = None  # redirect target
    headers: dict[str, str] = field(default_factory=dict)


class LessonServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()  # requests per path
        self.bodies: Counter[str] = Counter()  # responses that carried a body (200)
        self.not_modified: Counter[str] = Counter()  # 304 answers
        self.auth_headers: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                server.hits[path] += 1
                if self.headers.get("Authorization"):
                    server.auth_headers.append(self.headers["Authorization"])
                route = server.routes.get(path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.location is not None:
                    self.send_response(
                        route.status if route.status in (301, 302, 307, 308) else 302
                    )
                    self.send_header("Location", route.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.status != 200:
                    self.send_error(route.status)
                    return
                tag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                if (route.etag and inm == tag) or (
                    not inm and route.last_modified and ims == route.last_modified
                ):
                    server.not_modified[path] += 1
                    self.send_response(304)
                    if route.etag:
                        self.send_header("ETag", tag)
                    self.end_headers()
                    return
                server.bodies[path] += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/markdown; charset=utf-8")
                if route.etag:
                    self.send_header("ETag", tag)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)
                if route.send_length:
                    n = (
                        route.content_length
                        if route.content_length is not None
                        else len(route.body)
                    )
                    self.send_header("Content-Length", str(n))
                for k, v in route.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                step = 1024 if route.drip else 65536
                try:
                    for i in range(0, len(route.body), step):
                        self.wfile.write(route.body[i : i + step])
                        if route.drip:
                            self.wfile.flush()
                            time.sleep(route.drip)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes | str, **kw: object) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **kw)
        return self.url(path)

    def reset_counts(self) -> None:
        self.hits.clear()
        self.bodies.clear()
        self.not_modified.clear()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LessonServer]:
    s = LessonServer()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/Lesson_4.md"


@pytest.fixture
def cfg() -> Config:
    return Config.from_dict({"request_timeout_seconds": 0.6, "max_download_mb": 1})


def lesson_text(n: int = 4, title: str = "Transformers") -> str:
    """Lesson_4 turned into lesson ``n`` (own Source header, so its own identity)."""
    text = (SHARED_LESSONS / "Lesson_4.md").read_text(encoding="utf-8")
    if n == 4 and title == "Transformers":
        return text
    return text.replace("Lesson_4.md", f"Lesson_{n}.md").replace(
        "Lesson 4 - Transformers", f"Lesson {n} - {title}"
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
