"""Anki's bundled sync server (``python -m anki.syncserver``) on 127.0.0.1, for tests.

It stands in for AnkiWeb: a desktop collection syncs to it and a second, empty collection
(the "phone") receives everything only through it.

Usage in a test module (bind the fixture to a module name; pytest finds it by that name, and an
assignment, unlike ``from ... import sync_server``, does not trip ruff's F811 on the parameter)::

    from tests.support import syncserver
    from tests.support.syncserver import SyncAccount, fresh_collection

    sync_server = syncserver.sync_server

    def test_phone_gets_the_notes(tmp_path: Path, sync_server: SyncAccount) -> None:
        desktop = fresh_collection(tmp_path, "desktop")
        phone = fresh_collection(tmp_path, "phone")
        ...  # add notes on the desktop
        sync_server.sync(desktop)   # first client with cards: full upload
        sync_server.sync(phone)     # empty client: full download
        ...  # review on the phone
        sync_server.sync(phone)     # normal (incremental) sync from now on
        sync_server.sync(desktop)
        desktop.close(); phone.close()

``sync_server`` is function-scoped and cheap (about 0.3 s): each test gets a server process of
its own, with one account and an empty data folder, stopped after the test, so every test starts
from an empty "AnkiWeb" (the server needs about 85 ms per account at start-up, so a shared
server with an account per test would cost more). The object it yields
(:class:`SyncAccount`) has ``endpoint``, ``username``, ``password``, ``base`` (the server's data
folder) and ``sync(col, full=None)``.

``sync(col)`` logs in (``col.sync_login``, once per collection), runs ``col.sync_collection``
and, when Anki asks for a full sync, does what the desktop's sync dialog would do after the
user's choice (aqt/sync.py): ``col.close_for_full_sync()``,
``col.full_upload_or_download(...)``, ``col.reopen(after_full_sync=True)``.

- ``FULL_UPLOAD`` (the server is empty) uploads; ``FULL_DOWNLOAD`` (the client is empty) downloads.
- ``FULL_SYNC`` (both sides have data and no common history, or a schema change) needs the
  user's choice: pass ``full="upload"`` or ``full="download"``. Without it, the collection that
  first uploaded to this account uploads again (the desktop is the master) and any other
  collection downloads, which is what a user who imports on the desktop would pick.

It returns the kind of sync that happened: ``"none"``, ``"normal"``, ``"upload"`` or
``"download"``. Media are not synced (lesson notes have none).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pytest

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.sync import SyncAuth

__all__ = ["SyncAccount", "SyncServer", "fresh_collection", "sync_server"]

STARTUP_TIMEOUT = 30.0

SyncKind = Literal["none", "normal", "upload", "download"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SyncServer:
    """One ``python -m anki.syncserver`` process with ``accounts`` users ``user1:pass1`` ..."""

    def __init__(self, accounts: int = 1) -> None:
        self.accounts = accounts
        self._tmp = tempfile.TemporaryDirectory(prefix="anki-syncserver-")
        self.base = Path(self._tmp.name)
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/"
        self._next_account = 1
        self.log_path = self.base / "server.log"
        env = dict(os.environ)
        env.update(
            SYNC_BASE=str(self.base / "data"),
            SYNC_HOST="127.0.0.1",
            SYNC_PORT=str(self.port),
            RUST_LOG=env.get("RUST_LOG", "anki=warn"),
        )
        for i in range(1, accounts + 1):
            env[f"SYNC_USER{i}"] = f"user{i}:pass{i}"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "anki.syncserver"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"anki.syncserver exited with {self.process.returncode}: {self.log()}"
                )
            try:
                with urllib.request.urlopen(self.endpoint + "health", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"anki.syncserver not healthy after {STARTUP_TIMEOUT}s: {self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def new_account(self) -> SyncAccount | None:
        """An account no test has used yet, or None when this server has none left."""
        if self._next_account > self.accounts:
            return None
        i = self._next_account
        self._next_account += 1
        return SyncAccount(self, f"user{i}", f"pass{i}")

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if not self._log.closed:
            self._log.close()
        self._tmp.cleanup()


@dataclass
class SyncAccount:
    """One user on the server: what a test needs to sync collections through it."""

    server: SyncServer
    username: str
    password: str
    syncs: list[tuple[str, SyncKind]] = field(default_factory=list)  # (collection path, kind)
    _auth: dict[str, SyncAuth] = field(default_factory=dict)
    _master: str | None = None  # path of the collection that first uploaded

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    @property
    def base(self) -> Path:
        return self.server.base

    def login(self, col: Collection) -> SyncAuth:
        auth = self._auth.get(col.path)
        if auth is None:
            auth = col.sync_login(self.username, self.password, self.endpoint)
            self._auth[col.path] = auth
        return auth

    def sync(self, col: Collection, full: Literal["upload", "download"] | None = None) -> SyncKind:
        """Sync ``col`` with this account like the desktop's Sync button would (see module doc)."""
        from anki.sync_pb2 import SyncCollectionResponse as R

        auth = self.login(col)
        out = col.sync_collection(auth, sync_media=False)
        col._load_scheduler()  # as aqt does: the scheduler may have changed
        if out.new_endpoint:
            auth.endpoint = out.new_endpoint
        kind: SyncKind
        if out.required == R.NO_CHANGES:
            kind = "normal"  # a normal sync ran (or nothing needed sending)
        elif out.required == R.FULL_UPLOAD:
            kind = "upload"
        elif out.required == R.FULL_DOWNLOAD:
            kind = "download"
        elif out.required == R.FULL_SYNC:
            if full is not None:
                kind = full
            elif self._master is None or self._master == col.path:
                kind = "upload"
            else:
                kind = "download"
        else:  # pragma: no cover - NORMAL_SYNC is a status answer, not a sync outcome
            raise RuntimeError(f"unexpected sync outcome {out.required}")
        if kind in ("upload", "download"):
            col.close_for_full_sync()
            try:
                col.full_upload_or_download(auth=auth, server_usn=None, upload=kind == "upload")
            finally:
                col.reopen(after_full_sync=True)
            if kind == "upload" and self._master is None:
                self._master = col.path
        self.syncs.append((col.path, kind))
        return kind


@pytest.fixture
def sync_server() -> Iterator[SyncAccount]:
    """An empty account on a sync server of its own, stopped after the test (about 0.3 s)."""
    server = SyncServer(accounts=1)
    try:
        account = server.new_account()
        assert account is not None
        yield account
    finally:
        server.stop()


def fresh_collection(tmp_path: Path, name: str) -> Collection:
    """A new, empty collection at ``tmp_path/name/collection.anki2`` (the caller closes it)."""
    from anki.collection import Collection

    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))
