"""The article records, lexical index, side tables and writer lock in PostgreSQL, for stores
that several hosts share (NEWSRAG_DATABASE_URL=postgresql://...). The same contract as the
embedded SQLite file (rag.database.Records); psycopg 3 with one connection pool per database
and process, imported only when a database URL is set; the tables: rag/pg_schema.py.

An article's record and its lexical rows commit in one transaction, after its chunks are
stored, as with SQLite."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import astuple
from typing import Any
from urllib.parse import urlsplit

from rag import pg_lexical
from rag.database import (
    ArticleRecord,
    LexicalHit,
    LexicalRow,
    StoreError,
    mask_url,
    redact,
)
from rag.pg_schema import connect, create_tables

POOL_SIZE = 8  # connections per process: the app's concurrent questions, plus a writer
_COLUMNS = "doc_id, origin, content_hash, title, published, source, url, chunks"
_UPSERT = (
    f"INSERT INTO articles ({_COLUMNS}, ingested_at) VALUES ({', '.join(['%s'] * 9)}) "
    "ON CONFLICT (doc_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in [*_COLUMNS.split(", ")[1:], "ingested_at"])
)

_pools: dict[str, Any] = {}
_pools_guard = threading.Lock()


class PostgresRecords:
    """rag.database.Records in a PostgreSQL database."""

    def __init__(self, url: str, ranking: str = "bm25") -> None:
        self.url = url
        self.where = mask_url(url)
        self.ranking = ranking  # pg_lexical.RANKINGS; "bm25" measured best
        self.pool = _pool(url, self.where)
        self.written_generation = -1  # the last generation this process committed

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A pooled connection's cursor, committed when the block ends; a lost server is a
        StoreError that names it."""
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self.pool.connection() as conn, conn.cursor() as cur:
                yield cur
        except (psycopg.OperationalError, PoolTimeout) as error:
            message = redact(error, self.url)
            raise StoreError(f"the PostgreSQL server at {self.where} failed: {message}") from None

    def describe(self) -> str:
        return self.where

    def writer_lock(self) -> AbstractContextManager[None]:
        from rag.lock import advisory_lock

        return advisory_lock(lambda: connect(self.url, self.where), self.where)

    def _select(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._cursor() as cur:
            return list(cur.execute(sql, params).fetchall())

    def reader(self) -> PostgresLookup:
        """The pool hands each call a connection of its own, so the reading thread can share
        it; closing the lookup leaves the pool open."""
        return PostgresLookup(self)

    def by_origin(self, origin: str) -> list[ArticleRecord]:
        rows = self._select(f"SELECT {_COLUMNS} FROM articles WHERE origin = %s", (origin,))
        return [ArticleRecord(*row) for row in rows]

    def origins_under(self, folder: str) -> dict[str, list[str]]:
        """Every recorded file below `folder`, with the doc ids that came from it."""
        prefix = folder.rstrip("/") + "/"
        sql = "SELECT origin, doc_id FROM articles WHERE left(origin, %s) = %s"
        found: dict[str, list[str]] = {}
        for origin, doc_id in self._select(sql, (len(prefix), prefix)):
            found.setdefault(origin, []).append(doc_id)
        return found

    def get(self, doc_id: str) -> ArticleRecord | None:
        rows = self._select(f"SELECT {_COLUMNS} FROM articles WHERE doc_id = %s", (doc_id,))
        return ArticleRecord(*rows[0]) if rows else None

    def save(
        self, records: Sequence[ArticleRecord], lexical_rows: Iterable[LexicalRow] = ()
    ) -> None:
        """Record articles and replace their lexical-index rows, in one transaction."""
        now = time.time()
        with self._cursor() as cur:
            cur.executemany(_UPSERT, [(*astuple(r), now) for r in records])
            pg_lexical.delete_articles(cur, [r.doc_id for r in records])
            pg_lexical.add_chunks(cur, list(lexical_rows))
            self._bump_generation(cur)

    def delete(self, doc_ids: Sequence[str]) -> None:
        gone = list(doc_ids)
        with self._cursor() as cur:
            cur.execute("DELETE FROM articles WHERE doc_id = ANY(%s)", (gone,))
            cur.execute("DELETE FROM side_tables WHERE key = ANY(%s)", (gone,))
            pg_lexical.delete_articles(cur, gone)
            self._bump_generation(cur)

    def _bump_generation(self, cur: Any) -> None:
        """Count commits, so that readers elsewhere notice them (in the caller's transaction)."""
        cur.execute(
            "UPDATE store_state SET value = value + 1 WHERE key = 'generation' RETURNING value"
        )
        self.written_generation = int(cur.fetchone()[0])

    def generation(self) -> int:
        rows = self._select("SELECT value FROM store_state WHERE key = 'generation'")
        return int(rows[0][0]) if rows else 0

    def published_dates(self, doc_ids: list[str]) -> dict[str, str]:
        sql = "SELECT doc_id, published FROM articles WHERE doc_id = ANY(%s)"
        return {doc_id: day for doc_id, day in self._select(sql, (doc_ids,)) if day}

    def minor_sources(self) -> list[str]:
        """Sources holding at most half the articles, cached until the count changes."""
        count = self.count()
        if getattr(self, "_sources_at", None) != count:
            rows = self._select(
                "SELECT source FROM articles WHERE source != '' GROUP BY source "
                "HAVING count(*) * 2 <= %s",
                (count,),
            )
            self._sources = sorted(row[0] for row in rows)
            self._sources_at = count
        return self._sources

    def newest_published(self) -> str | None:
        rows = self._select("SELECT max(published) FROM articles")
        return rows[0][0] if rows and rows[0][0] else None

    def count(self) -> int:
        return int(self._select("SELECT count(*) FROM articles")[0][0])

    def listing(self, title_contains: str = "", limit: int = 500) -> list[ArticleRecord]:
        """Newest first, optionally only titles containing the text (case-insensitive)."""
        rows = self._select(
            f"SELECT {_COLUMNS} FROM articles WHERE strpos(lower(title), lower(%s)) > 0 "
            'ORDER BY published IS NULL, published DESC, title COLLATE "C" LIMIT %s',
            (title_contains.strip(), limit),
        )
        return [ArticleRecord(*row) for row in rows]

    def sources(self) -> list[str]:
        rows = self._select("SELECT DISTINCT source FROM articles WHERE source != ''")
        return sorted(row[0] for row in rows)

    def lexical_count(self) -> int:
        with self._cursor() as cur:
            return pg_lexical.count(cur)

    def lexical_keys(self) -> list[tuple[str, int]]:
        with self._cursor() as cur:
            return pg_lexical.keys(cur)

    def lexical_rows(self, doc_ids: Sequence[str]) -> list[LexicalRow]:
        with self._cursor() as cur:
            return pg_lexical.rows_of(cur, doc_ids)

    def add_lexical_rows(self, rows: list[LexicalRow]) -> None:
        with self._cursor() as cur:
            pg_lexical.replace_chunks(cur, rows)

    def lexical_search(self, query: str, n: int, filters: Any) -> list[LexicalHit]:
        """The BM25 ranking of chunks: (doc_id, chunk, score), best first."""
        with self._cursor() as cur:
            return pg_lexical.search(cur, query, n, filters, self.ranking)

    def side_table(self, name: str) -> PgSideTable:
        return PgSideTable(self, name)

    def side_table_names(self) -> list[str]:
        return [row[0] for row in self._select("SELECT DISTINCT tbl FROM side_tables")]


class PgSideTable:
    """A named key -> JSON value table beside the records (rag.database.KeyValueTable)."""

    def __init__(self, records: PostgresRecords, name: str) -> None:
        self.records = records
        self.name = name

    def get(self, key: str) -> Any:
        sql = "SELECT value FROM side_tables WHERE tbl = %s AND key = %s"
        rows = self.records._select(sql, (self.name, key))
        return json.loads(rows[0][0]) if rows else None

    def put(self, key: str, value: Any) -> None:
        with self.records._cursor() as cur:
            cur.execute(
                "INSERT INTO side_tables VALUES (%s, %s, %s) "
                "ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value",
                (self.name, key, json.dumps(value)),
            )

    def items(self) -> Iterator[tuple[str, Any]]:
        sql = "SELECT key, value FROM side_tables WHERE tbl = %s"
        for key, value in self.records._select(sql, (self.name,)):
            yield key, json.loads(value)


def _pool(url: str, where: str) -> Any:
    """The process's pool for this database: the URL checked, the server reached and the
    tables made once, so that a wrong URL or a server that is down says so at once."""
    with _pools_guard:
        if url not in _pools:
            try:
                scheme = urlsplit(url).scheme
            except ValueError:
                scheme = ""
            if scheme not in ("postgresql", "postgres"):
                raise StoreError(
                    "NEWSRAG_DATABASE_URL wants postgresql://user:password@host:port/database, "
                    f"got {where!r}"
                )
            create_tables(url, where)
            from psycopg_pool import ConnectionPool

            _pools[url] = ConnectionPool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                kwargs={"connect_timeout": 10},
                check=ConnectionPool.check_connection,
                timeout=15,
                name="newsrag",
                open=True,
            )
        return _pools[url]


def close_pools() -> None:
    """Close every pool this process opened (tests; a command that is done with a database)."""
    with _pools_guard:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


class PostgresLookup:
    """RecordLookup over PostgresRecords: the same pooled calls; close() is nothing to do."""

    def __init__(self, records: PostgresRecords) -> None:
        self.records = records

    def by_origin(self, origin: str) -> list[ArticleRecord]:
        return self.records.by_origin(origin)

    def get(self, doc_id: str) -> ArticleRecord | None:
        return self.records.get(doc_id)

    def close(self) -> None:
        return None
