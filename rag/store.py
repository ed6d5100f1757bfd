"""Open the Chroma collection and the article records from settings; check the model matches.

Chroma holds the chunks (text, vectors, metadata). A small SQLite table beside it records
each ingested article: where it came from, the hash of its bytes, and its chunk count, so an
unchanged file is skipped without being parsed or embedded, and `--prune` knows each file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rag import lexical
from rag.text import header_line

if TYPE_CHECKING:
    from rag.config import Settings


class StoreError(RuntimeError):
    """The store cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ArticleRecord:
    doc_id: str
    origin: str  # absolute path of the file the article came from
    content_hash: str
    title: str
    published: str | None
    source: str
    url: str
    chunks: int


@dataclass(frozen=True)
class ChunkHit:
    doc_id: str
    chunk: int
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, higher is better


_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, origin TEXT NOT NULL, content_hash TEXT NOT NULL,
    title TEXT NOT NULL, published TEXT, source TEXT NOT NULL, url TEXT NOT NULL,
    chunks INTEGER NOT NULL, ingested_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS articles_origin ON articles(origin);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE TABLE IF NOT EXISTS store_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO store_state VALUES ('generation', 0);
CREATE TABLE IF NOT EXISTS signatures (doc_id TEXT PRIMARY KEY, minhash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alternate_urls (
    doc_id TEXT NOT NULL, url TEXT NOT NULL, PRIMARY KEY (doc_id, url));
"""


class ArticleRecords:
    """The ingest records: one row per article, committed only after its chunks are stored."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA + lexical.SCHEMA)
        self.written_generation = -1  # the last generation this process committed

    def by_origin(self, origin: str) -> list[ArticleRecord]:
        rows = self.db.execute("SELECT * FROM articles WHERE origin = ?", (origin,))
        return [self._record(row) for row in rows]

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
        row = self.db.execute("SELECT * FROM articles WHERE doc_id = ?", (doc_id,)).fetchone()
        return self._record(row) if row else None

    def save(
        self,
        records: Sequence[ArticleRecord],
        lexical_rows: Iterable[tuple[str, str, int, str, int]] = (),
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
            for table in ("articles", "signatures", "alternate_urls"):
                self.db.executemany(
                    f"DELETE FROM {table} WHERE doc_id = ?", [(d,) for d in doc_ids]
                )
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

    def save_signature(self, doc_id: str, minhash: list[int]) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO signatures VALUES (?, ?)",
                (doc_id, " ".join(map(str, minhash))),
            )

    def signatures(self) -> dict[str, list[int]]:
        rows = self.db.execute("SELECT doc_id, minhash FROM signatures")
        return {doc_id: [int(v) for v in text.split()] for doc_id, text in rows}

    def add_alternate_url(self, doc_id: str, url: str) -> list[str]:
        """Another address of the same story; returns all of that article's other URLs."""
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO alternate_urls VALUES (?, ?)", (doc_id, url))
        rows = self.db.execute("SELECT url FROM alternate_urls WHERE doc_id = ? ORDER BY url",
                               (doc_id,))  # fmt: skip
        return [row[0] for row in rows]

    def sources(self) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT source FROM articles WHERE source != ''")
        return sorted(row[0] for row in rows)

    @staticmethod
    def _record(row: tuple[Any, ...]) -> ArticleRecord:
        return ArticleRecord(*row[:8])


def _record_values(r: ArticleRecord) -> tuple[Any, ...]:
    return (r.doc_id, r.origin, r.content_hash, r.title, r.published, r.source, r.url, r.chunks)


class NewsStore:
    """The chunk collection (Chroma, cosine) plus the article records."""

    def __init__(
        self, collection: Any, records: ArticleRecords, max_batch: int, data_dir: Path,
        reopen: Callable[[], Any] | None = None,
    ) -> None:  # fmt: skip
        self.collection = collection
        self.records = records
        self.max_batch = max_batch
        self.data_dir = data_dir
        self.reopen = reopen  # embedded store: a fresh handle that sees other processes' writes
        self.seen_generation = records.generation()

    def refresh(self) -> None:
        """The embedded Chroma keeps an in-memory view that goes stale when another process
        writes; when the records show a commit from elsewhere, open the collection afresh."""
        current = self.records.generation()
        if current == self.seen_generation:
            return
        if self.reopen is not None and current != self.records.written_generation:
            self.collection = self.reopen()
        self.seen_generation = current

    def writing(self) -> AbstractContextManager[None]:
        """Hold the store's writer lock (one writing process at a time; readers never wait)."""
        from rag.lock import writer_lock

        return writer_lock(self.data_dir)

    @property
    def embedding_dim(self) -> int | None:
        value = (self.collection.metadata or {}).get("embedding_dim")
        return int(value) if value else None

    def check_dimension(self, dim: int) -> None:
        """Record the vector size on first write; refuse vectors of another size later."""
        recorded = self.embedding_dim
        if recorded is None:
            metadata = dict(self.collection.metadata or {})
            metadata.pop("hnsw:space", None)  # configuration, not user metadata, since Chroma 1.0
            self.collection.modify(metadata={**metadata, "embedding_dim": dim})
        elif recorded != dim:
            raise StoreError(
                f"collection '{self.collection.name}' holds {recorded}-dimensional vectors, "
                f"but the embedding model gives {dim}; use another data dir or collection"
            )

    def upsert(
        self,
        ids: list[str],
        texts: list[str],
        vectors: list[list[float]],
        metadatas: list[dict[str, Any]],
    ) -> None:
        """Write chunks with deterministic ids: a re-run overwrites, never duplicates."""
        if vectors:
            self.check_dimension(len(vectors[0]))
        for start in range(0, len(ids), self.max_batch):
            end = start + self.max_batch
            self.collection.upsert(
                ids=ids[start:end],
                documents=texts[start:end],
                embeddings=vectors[start:end],
                metadatas=metadatas[start:end],
            )

    def delete_chunks(self, doc_id: str, from_chunk: int = 0) -> None:
        """Delete an article's chunks numbered `from_chunk` and up (all of them by default)."""
        where: dict[str, Any] = {"doc_id": doc_id}
        if from_chunk > 0:
            where = {"$and": [where, {"chunk": {"$gte": from_chunk}}]}
        self.collection.delete(where=where)

    def set_chunk_metadata(self, doc_id: str, values: dict[str, Any]) -> None:
        """Merge values into the metadata of every chunk of one article."""
        found = self.collection.get(where={"doc_id": doc_id}, include=["metadatas"])
        if found["ids"]:
            merged = [{**(meta or {}), **values} for meta in found["metadatas"]]
            self.collection.update(ids=found["ids"], metadatas=merged)

    def count_chunks(self) -> int:
        self.refresh()
        return int(self.collection.count())

    def chunks_with_vectors(
        self, ids: list[str], vectors: bool = True
    ) -> dict[str, tuple[str, dict[str, Any], list[float]]]:
        """Text, metadata and (unless `vectors=False`, then []) the stored vector of chunks."""
        if not ids:
            return {}
        include = ["documents", "metadatas", *(["embeddings"] if vectors else [])]
        self.refresh()
        got = self.collection.get(ids=ids, include=include)
        found = got["embeddings"] if vectors else [[]] * len(got["ids"])
        rows = zip(got["ids"], got["documents"], got["metadatas"], found, strict=True)
        return {i: (text, dict(meta or {}), list(vec)) for i, text, meta, vec in rows}

    def backfill_lexical_index(self, page: int = 1000) -> int:
        """Build the lexical index once for a store ingested before it existed."""
        if lexical.count(self.records.db) or not self.records.count():
            return 0
        added = 0
        for offset in range(0, self.count_chunks(), page):
            got = self.collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
            rows = [
                lexical_row(text, dict(m or {}))
                for text, m in zip(got["documents"], got["metadatas"], strict=True)
            ]
            with self.records.db:
                lexical.add_chunks(self.records.db, rows)
            added += len(rows)
        return added

    def query(
        self, vector: list[float], n: int, where: dict[str, Any] | None = None
    ) -> list[ChunkHit]:
        total = self.count_chunks()
        if total == 0:
            return []
        self.refresh()
        result = self.collection.query(
            query_embeddings=[vector],
            n_results=min(n, total),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for text, meta, distance in zip(
            result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
        ):
            meta = dict(meta or {})
            hits.append(ChunkHit(meta["doc_id"], int(meta["chunk"]), text, meta, 1.0 - distance))
        return hits


def lexical_row(text: str, meta: dict[str, Any]) -> tuple[str, str, int, str, int]:
    """What the lexical index holds for a chunk: its title, source and date, then its text."""
    header = header_line(meta.get("title", ""), meta.get("source", ""), meta.get("published"))
    return (
        f"{header}\n{text}",
        meta["doc_id"],
        int(meta["chunk"]),
        str(meta.get("source", "")),
        int(meta.get("published_day", 0)),
    )


def chroma_client(settings: Settings) -> Any:
    """The embedded store in data_dir, or the Chroma server NEWSRAG_CHROMA_URL names."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    quiet = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=quiet)
    url = urlsplit(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreError(
            f"NEWSRAG_CHROMA_URL wants http(s)://host:port, got {settings.chroma_url!r}"
        )
    try:
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https", settings=quiet,
        )  # fmt: skip
    except Exception as error:  # chromadb raises plain ValueError/ConnectionError variants
        raise StoreError(
            f"cannot reach the Chroma server at {settings.chroma_url}: {error}"
        ) from None


def open_store(settings: Settings, embedding_name: str) -> NewsStore:
    """Open (or create) the collection; fail clearly if it was built with another model."""
    client = chroma_client(settings)
    try:
        collection = client.get_or_create_collection(
            settings.collection,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": embedding_name},
        )
    except Exception as error:
        if not settings.chroma_url:
            raise
        raise StoreError(f"the Chroma server at {settings.chroma_url} failed: {error}") from None
    recorded = (collection.metadata or {}).get("embedding_model")
    if recorded != embedding_name:
        raise StoreError(
            f"collection '{settings.collection}' in {settings.chroma_url or settings.chroma_dir} "
            "was built with the "
            f"embedding model '{recorded}', but the settings ask for '{embedding_name}'. Use "
            "the same model, another --data-dir, or another NEWSRAG_COLLECTION and re-ingest."
        )
    records = ArticleRecords(settings.records_path)

    def reopen() -> Any:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # else the same stale system is handed back
        return chroma_client(settings).get_collection(settings.collection)

    store = NewsStore(
        collection, records, client.get_max_batch_size(), settings.data_dir,
        reopen=None if settings.chroma_url else reopen,
    )  # fmt: skip
    store.backfill_lexical_index()
    return store
