"""Connecting to PostgreSQL, and newsrag's tables there: created on first use under a
transaction-level advisory lock (processes starting together do not race), and skipped once
this schema version is there."""

from __future__ import annotations

from typing import Any

from rag import pg_lexical
from rag.database import StoreError, redact

SCHEMA_KEY = 0x6E657773726168  # serialises table creation between processes
SCHEMA_VERSION = 1  # in store_state; bump when the tables change (and migrate them)

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, origin TEXT NOT NULL, content_hash TEXT NOT NULL,
    title TEXT NOT NULL, published TEXT, source TEXT NOT NULL, url TEXT NOT NULL,
    chunks INTEGER NOT NULL, ingested_at DOUBLE PRECISION NOT NULL);
CREATE INDEX IF NOT EXISTS articles_origin ON articles(origin);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE TABLE IF NOT EXISTS store_state (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO store_state VALUES ('generation', 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS side_tables (
    tbl TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (tbl, key));
CREATE INDEX IF NOT EXISTS side_tables_key ON side_tables(key);
CREATE TABLE IF NOT EXISTS writer_lock (
    id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, command TEXT NOT NULL,
    since TIMESTAMPTZ NOT NULL);
"""


def create_tables(url: str, where: str) -> None:
    """Make the tables unless this schema version is there (CREATE INDEX IF NOT EXISTS would
    still lock the tables against the writer's transactions)."""
    import psycopg

    with connect(url, where, autocommit=False) as conn:
        try:
            if _schema_version(conn) == SCHEMA_VERSION:
                return
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_KEY,))
            conn.execute(SCHEMA + pg_lexical.SCHEMA)
            conn.execute(
                "INSERT INTO store_state VALUES ('schema', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (SCHEMA_VERSION,),
            )
        except psycopg.Error as error:
            raise StoreError(
                f"cannot create newsrag's tables in {where}: {redact(error, url)}"
            ) from None


def _schema_version(conn: Any) -> int | None:
    if conn.execute("SELECT to_regclass('store_state')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT value FROM store_state WHERE key = 'schema'").fetchone()
    return int(row[0]) if row else None


def connect(url: str, where: str, autocommit: bool = True) -> Any:
    """A connection of its own (the writer lock's session); a clear StoreError if refused."""
    import psycopg

    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.Error as error:
        raise StoreError(
            f"cannot reach the PostgreSQL server at {where}: {redact(error, url)}"
        ) from None
