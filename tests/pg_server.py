"""A throwaway PostgreSQL server in a temporary folder (tests, and the retrieval benchmark).

python -m tests.pg_server   # start one, print its URL, stop it on Ctrl-C or SIGTERM

Debian's `postgresql` package provides initdb and pg_ctl under /usr/lib/postgresql/*/bin.
initdb refuses to run as root, so as root the server runs as the package's `postgres` user, in a
folder of its own under /tmp. It listens on a free port of 127.0.0.1 with its socket in that
folder, trusts local connections and skips fsync: it holds test data only."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing() -> str | None:
    """Why no server can be started here, or None."""
    if postgres_bin() is None:
        return "PostgreSQL is not installed (apt-get install postgresql; scripts/test.sh does)"
    if os.geteuid() == 0 and not _user_exists("postgres"):
        return "running as root, and there is no 'postgres' user to run PostgreSQL as"
    return None


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextmanager
def postgres_server(max_connections: int = 400) -> Iterator[str]:
    """Yield the URL of a fresh server's `postgres` database (superuser `postgres`)."""
    binaries = postgres_bin()
    assert binaries is not None, missing()
    folder = Path(tempfile.mkdtemp(prefix="newsrag-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
        f"-c synchronous_commit=off -c full_page_writes=off -c max_connections={max_connections}"
    )
    try:
        _run([*as_user, str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
              "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"])  # fmt: skip
        _run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"),
              "-o", options, "-w", "-t", "60", "start"])  # fmt: skip
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                  "stop"])  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server_url: str, name: str | None = None) -> str:
    """A new empty database on the server; its URL."""
    import psycopg

    name = name or f"t{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])}... failed:\n{result.stdout}{result.stderr}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    import signal
    import sys
    import time

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the server on kill, too
    with postgres_server() as url:
        print(url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
