"""The article records, the lexical index and the side tables, in one SQLite file.

One row per ingested article: where it came from, the hash of its bytes and its chunk count,
so an unchanged file is skipped without being parsed or embedded, and `--prune` knows each
file. The lexical (BM25) index is written in the same transactions. Side tables are small
key -> JSON tables for what ingestion keeps between runs (near-duplicate signatures, other
URLs of a story, HTTP validators) without touching SQLite itself."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from rag import lexical
from rag.database import ArticleRecord, LexicalHit, LexicalRow

__all__ = ["ArticleRecord", "ArticleRecords", "SideTable"]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, origin TEXT NOT NULL, content_hash TEXT NOT NULL,
    title TEXT NOT NULL, published TEXT, source TEXT NOT NULL, url TEXT NOT NULL,
    chunks INTEGER NOT NULL, ingested_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS articles_origin ON articles(origin);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE TABLE IF NOT EXISTS store_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO store_state VALUES ('generation', 0);
CREATE TABLE IF NOT EXISTS side_tables (
    tbl TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (tbl, key));
"""


class ArticleRecords:
    """The ingest records: one row per article, committed only after its chunks are stored.
    The embedded backend of rag.database.Records."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA + lexical.SCHEMA)
        self._migrate_web_tables()
        self.written_generation = -1  # the last generation this process committed

    def describe(self) -> str:
        return str(self.path)

    def writer_lock(self) -> AbstractContextManager[None]:
        """A lock file beside the database: one writing process per data dir."""
        from rag.lock import writer_lock

        return writer_lock(self.path.parent)

    def _migrate_web_tables(self) -> None:
        """Stores written before the side tables kept web signatures and other URLs in tables
        of their own: move their rows over once."""
        names = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        with self.db:
            if "signatures" in names:
                rows = self.db.execute("SELECT doc_id, minhash FROM signatures").fetchall()
                for doc_id, text in rows:
                    values = [int(v) for v in text.split()]
                    self._put_raw("web_signatures", doc_id, values)
                self.db.execute("DROP TABLE signatures")
            if "alternate_urls" in names:
                grouped: dict[str, list[str]] = {}
                pairs = self.db.execute("SELECT doc_id, url FROM alternate_urls").fetchall()
                for doc_id, url in pairs:
                    grouped.setdefault(doc_id, []).append(url)
                for doc_id, urls in grouped.items():
                    self._put_raw("web_other_urls", doc_id, sorted(urls))
                self.db.execute("DROP TABLE alternate_urls")

    def _put_raw(self, table: str, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO side_tables VALUES (?, ?, ?)", (table, key, json.dumps(value))
        )

    def by_origin(self, origin: str) -> list[ArticleRecord]:
        return by_origin(self.db, origin)

    def reader(self) -> RecordsReader:
        """A read-only connection of its own, for a thread that looks records up while
        another writes through this one (it sees what has been committed)."""
        return RecordsReader(self.path)

    def origins_under(self, folder: str) -> dict[str, list[str]]:
        """Every recorded file below `folder`, with the doc ids that came from it."""
        prefix = folder.rstrip("/") + "/"
        rows = self.db.execute(
            "SELECT origin, doc_id FROM articles WHERE substr(origin, 1, ?) = ?",
            (len(prefix), prefix),
        )
        found: dict[str, list[str]] = {}
        for origin, doc_id in rows:
            found.setdefault(origin, []).append(doc_id)
        return found

    def get(self, doc_id: str) -> ArticleRecord | None:
        return get_record(self.db, doc_id)

    def save(
        self,
        records: Sequence[ArticleRecord],
        lexical_rows: Iterable[LexicalRow] = (),
    ) -> None:
        """Record articles and replace their lexical-index rows, in one transaction."""
        now = time.time()
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*_record_values(r), now) for r in records],
            )
            lexical.delete_articles(self.db, [r.doc_id for r in records])
            lexical.add_chunks(self.db, list(lexical_rows))
            self._bump_generation()

    def delete(self, doc_ids: Sequence[str]) -> None:
        with self.db:
            gone = [(d,) for d in doc_ids]
            self.db.executemany("DELETE FROM articles WHERE doc_id = ?", gone)
            self.db.executemany("DELETE FROM side_tables WHERE key = ?", gone)
            lexical.delete_articles(self.db, list(doc_ids))
            self._bump_generation()

    def _bump_generation(self) -> None:
        """Count commits, so that readers in other processes notice them (inside the caller's
        transaction)."""
        self.db.execute("UPDATE store_state SET value = value + 1 WHERE key = 'generation'")
        self.written_generation = self.generation()

    def generation(self) -> int:
        row = self.db.execute("SELECT value FROM store_state WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def published_dates(self, doc_ids: list[str]) -> dict[str, str]:
        marks = ",".join("?" * len(doc_ids))
        rows = self.db.execute(
            f"SELECT doc_id, published FROM articles WHERE doc_id IN ({marks})", doc_ids
        )
        return {doc_id: published for doc_id, published in rows if published}

    def minor_sources(self) -> list[str]:
        """Sources holding at most half the articles (narrowing to a bigger one gains nothing),
        cached until the number of articles changes."""
        count = self.count()
        if getattr(self, "_sources_at", None) != count:
            rows = self.db.execute(
                "SELECT source FROM articles WHERE source != '' GROUP BY source "
                "HAVING count(*) * 2 <= ?",
                (count,),
            )
            self._sources = sorted(row[0] for row in rows)
            self._sources_at = count
        return self._sources

    def newest_published(self) -> str | None:
        """Asked on every question (for 'last year'); the index makes max() a lookup."""
        row = self.db.execute("SELECT max(published) FROM articles").fetchone()
        return row[0] if row and row[0] else None

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def listing(self, title_contains: str = "", limit: int = 500) -> list[ArticleRecord]:
        """Newest first, optionally only titles containing the text (case-insensitive)."""
        rows = self.db.execute(
            "SELECT * FROM articles WHERE instr(lower(title), lower(?)) > 0 "
            "ORDER BY published IS NULL, published DESC, title LIMIT ?",
            (title_contains.strip(), limit),
        )
        return [self._record(row) for row in rows]

    def lexical_count(self) -> int:
        return lexical.count(self.db)

    def lexical_keys(self) -> list[tuple[str, int]]:
        return lexical.keys(self.db)

    def lexical_rows(self, doc_ids: Sequence[str]) -> list[LexicalRow]:
        return lexical.rows_of(self.db, doc_ids)

    def add_lexical_rows(self, rows: list[LexicalRow]) -> None:
        with self.db:
            lexical.add_chunks(self.db, rows)

    def side_table(self, name: str) -> SideTable:
        return SideTable(self.db, name)

    def side_table_names(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT DISTINCT tbl FROM side_tables")]

    def lexical_search(self, query: str, n: int, filters: Any) -> list[LexicalHit]:
        """The BM25 ranking of chunks: (doc_id, chunk, score), best first."""
        return lexical.search(
            self.db, query, n, filters.since_day, filters.until_day, filters.source
        )

    def sources(self) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT source FROM articles WHERE source != ''")
        return sorted(row[0] for row in rows)

    @staticmethod
    def _record(row: tuple[Any, ...]) -> ArticleRecord:
        return ArticleRecord(*row[:8])


class RecordsReader:
    """Looks records up on a read-only connection (ArticleRecords.reader)."""

    def __init__(self, path: Path) -> None:
        uri = f"{path.resolve().as_uri()}?mode=ro"  # as_uri: a '?' or '#' in a path is escaped
        self.db = sqlite3.connect(uri, uri=True, check_same_thread=False)

    def by_origin(self, origin: str) -> list[ArticleRecord]:
        return by_origin(self.db, origin)

    def get(self, doc_id: str) -> ArticleRecord | None:
        return get_record(self.db, doc_id)

    def close(self) -> None:
        self.db.close()


def by_origin(db: sqlite3.Connection, origin: str) -> list[ArticleRecord]:
    rows = db.execute("SELECT * FROM articles WHERE origin = ?", (origin,))
    return [ArticleRecord(*row[:8]) for row in rows]


def get_record(db: sqlite3.Connection, doc_id: str) -> ArticleRecord | None:
    row = db.execute("SELECT * FROM articles WHERE doc_id = ?", (doc_id,)).fetchone()
    return ArticleRecord(*row[:8]) if row else None


def _record_values(r: ArticleRecord) -> tuple[Any, ...]:
    return (r.doc_id, r.origin, r.content_hash, r.title, r.published, r.source, r.url, r.chunks)


class SideTable:
    """A named key -> JSON value table beside the records (for ingestion's own bookkeeping)."""

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        self.db = db
        self.name = name

    def get(self, key: str) -> Any:
        row = self.db.execute(
            "SELECT value FROM side_tables WHERE tbl = ? AND key = ?", (self.name, key)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: Any) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO side_tables VALUES (?, ?, ?)",
                (self.name, key, json.dumps(value)),
            )

    def items(self) -> Iterator[tuple[str, Any]]:
        rows = self.db.execute("SELECT key, value FROM side_tables WHERE tbl = ?", (self.name,))
        for key, value in rows.fetchall():
            yield key, json.loads(value)
