"""One writer at a time per store. Chroma's embedded store and the records are safe for many
readers but not for two writing processes, so every write (ingest, watch, delete) holds the
store's writer lock; a second writer is told who holds it and exits.

Embedded records: an exclusive lock file in the data dir. PostgreSQL records: a session-level
advisory lock on a connection of its own, held for the whole write, so it holds across hosts
(and goes with the session when the process dies); who holds it is kept in a small table."""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ADVISORY_KEY = 0x6E657773726167  # "newsrag": one writer per database
LOCK_WAIT_MS = 1000  # how long a second writer waits before it is told who is writing


class StoreBusy(RuntimeError):
    """Another process is writing to this store."""


_held: dict[str, int] = {}  # lock -> depth, so nested writes in one process are fine
_guard = threading.RLock()


@contextmanager
def exclusive(key: str, acquire: Callable[[], AbstractContextManager[None]]) -> Iterator[None]:
    """Hold the lock `acquire` takes, once per process: nested holders share it."""
    with _guard:
        if _held.get(key):
            _held[key] += 1
            try:
                yield
            finally:
                _held[key] -= 1
            return
        with acquire():
            _held[key] = 1
            try:
                yield
            finally:
                _held[key] = 0


def holder_parts() -> tuple[int, str, str]:
    """pid, host and command of this process, as a second writer is told them."""
    command = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv[:3]))
    return os.getpid(), socket.gethostname(), command


def writer_lock(data_dir: Path) -> AbstractContextManager[None]:
    return exclusive(str(data_dir / "writer.lock"), lambda: _file_lock(data_dir))


@contextmanager
def _file_lock(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = (data_dir / "writer.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StoreBusy(
            f"{holder} is writing to {data_dir}; wait for it to finish (readers keep "
            "working meanwhile), or use another --data-dir"
        ) from None
    handle.seek(0)
    handle.truncate()
    pid, _, command = holder_parts()
    handle.write(f"pid {pid} ({command}, since {time.strftime('%H:%M:%S')})")
    handle.flush()
    try:
        yield
    finally:
        handle.truncate(0)
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def advisory_lock(connect: Callable[[], Any], where: str) -> AbstractContextManager[None]:
    """The PostgreSQL writer lock; `connect` opens a dedicated autocommit connection and
    `where` names the database (password masked) for the message a second writer gets."""
    return exclusive(f"pg:{where}", lambda: _advisory(connect, where))


@contextmanager
def _advisory(connect: Callable[[], Any], where: str) -> Iterator[None]:
    conn = connect()
    try:
        if not _try_advisory(conn):
            raise StoreBusy(
                f"{_holder(conn)} is writing to {where}; wait for it to finish (readers keep "
                "working meanwhile), or use another database"
            )
        pid, host, command = holder_parts()
        conn.execute(
            "INSERT INTO writer_lock VALUES (1, %s, %s, %s, now()) ON CONFLICT (id) DO UPDATE "
            "SET pid = excluded.pid, host = excluded.host, command = excluded.command, "
            "since = excluded.since",
            (pid, host, command),
        )
        try:
            yield
        finally:
            _release(conn)
    finally:
        conn.close()


def _try_advisory(conn: Any) -> bool:
    """Take the lock, waiting a moment: a writer that just died releases it once the server
    notices its connection closed, a few milliseconds later."""
    import psycopg

    conn.execute(f"SET lock_timeout = '{LOCK_WAIT_MS}ms'")
    try:
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_KEY,))
    except psycopg.errors.LockNotAvailable:
        return False
    finally:
        conn.execute("RESET lock_timeout")
    return True


def _holder(conn: Any) -> str:
    row = conn.execute(
        "SELECT pid, host, command, to_char(since, 'YYYY-MM-DD HH24:MI:SS TZ') "
        "FROM writer_lock WHERE id = 1"
    ).fetchone()
    if row is None:
        return "another process"
    pid, host, command, since = row
    return f"pid {pid} on {host} ({command}, since {since})"


def _release(conn: Any) -> None:
    """Clear the holder and unlock; a connection lost meanwhile has released the lock already."""
    try:
        conn.execute("DELETE FROM writer_lock WHERE id = 1")
        conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))
    except Exception:  # psycopg.Error, imported lazily: the session (and its lock) is gone
        logger.warning("the writer lock's database connection was lost", exc_info=True)
