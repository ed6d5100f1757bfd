"""One writer at a time per store. Chroma's embedded store and the SQLite records are safe for
many readers but not for two writing processes, so every write (ingest, watch, delete) holds
an exclusive lock file in the data dir; a second writer is told who holds it and exits."""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StoreBusy(RuntimeError):
    """Another process is writing to this store."""


_held: dict[str, int] = {}  # lock path -> depth, so nested writes in one process are fine
_guard = threading.RLock()


@contextmanager
def writer_lock(data_dir: Path) -> Iterator[None]:
    path = data_dir / "writer.lock"
    key = str(path)
    with _guard:
        if _held.get(key):
            _held[key] += 1
            try:
                yield
            finally:
                _held[key] -= 1
            return
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
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
        command = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv[:3]))
        handle.write(f"pid {os.getpid()} ({command}, since {time.strftime('%H:%M:%S')})")
        handle.flush()
        _held[key] = 1
        try:
            yield
        finally:
            _held[key] = 0
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
