"""Open the Chroma collection and the article records from settings; check the model matches.

Chroma holds the chunks (text, vectors, metadata); the article records, the lexical index, the
side tables and the writer lock sit beside it (rag.database.Records): in SQLite in the data dir
(rag/records.py) or in PostgreSQL (rag/postgres.py). Nothing outside rag/ touches either
directly; open_store is the one place that picks the backend.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rag.database import ArticleRecord, KeyValueTable, Records, StoreError
from rag.records import ArticleRecords
from rag.text import header_line

logger = logging.getLogger(__name__)

__all__ = [
    "ArticleRecord",
    "ChunkHit",
    "NewsStore",
    "StoreError",
    "lexical_row",
    "open_records",
    "open_store",
]

if TYPE_CHECKING:
    from rag.config import Settings


@dataclass(frozen=True)
class ChunkHit:
    doc_id: str
    chunk: int
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, higher is better


class NewsStore:
    """The chunk collection (Chroma, cosine) plus the article records."""

    def __init__(
        self,
        collection: Any,
        records: Records,
        max_batch: int,
        data_dir: Path,
        reopen: Callable[[], Any] | None = None,
    ) -> None:
        self.collection = collection
        self.records = records
        self.max_batch = max_batch
        self.data_dir = data_dir
        self.reopen = reopen  # embedded store: a fresh handle that sees other processes' writes
        self.seen_generation = records.generation()
        self.embedding_model = ""  # the model the collection was built with (open_store)

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
        return self.records.writer_lock()

    def articles(self, title_contains: str = "", limit: int = 500) -> list[ArticleRecord]:
        """Newest first; only titles containing the text, when given."""
        return self.records.listing(title_contains, limit)

    def article(self, doc_id: str) -> ArticleRecord | None:
        return self.records.get(doc_id)

    def sources(self) -> list[str]:
        return self.records.sources()

    def article_count(self) -> int:
        return self.records.count()

    def side_table(self, name: str) -> KeyValueTable:
        """A key -> JSON table kept with the records, for ingestion's own bookkeeping."""
        return self.records.side_table(name)

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
        self.delete_tails([(doc_id, from_chunk)])

    def delete_tails(self, tails: list[tuple[str, int]], per_call: int = 100) -> None:
        """delete_chunks for many articles, (doc_id, from_chunk) each, in few calls."""
        for start in range(0, len(tails), per_call):
            wheres = [tail_where(*tail) for tail in tails[start : start + per_call]]
            self.collection.delete(where=wheres[0] if len(wheres) == 1 else {"$or": wheres})

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
        if self.records.lexical_count() or not self.records.count():
            return 0
        added = 0
        for offset in range(0, self.count_chunks(), page):
            got = self.collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
            rows = [
                lexical_row(text, dict(m or {}))
                for text, m in zip(got["documents"], got["metadatas"], strict=True)
            ]
            self.records.add_lexical_rows(rows)
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


def tail_where(doc_id: str, from_chunk: int) -> dict[str, Any]:
    where: dict[str, Any] = {"doc_id": doc_id}
    return {"$and": [where, {"chunk": {"$gte": from_chunk}}]} if from_chunk > 0 else where


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
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=quiet,
        )
    except Exception as error:  # chromadb raises plain ValueError/ConnectionError variants
        logger.debug("Chroma HttpClient failed", exc_info=True)
        raise StoreError(
            f"cannot reach the Chroma server at {settings.chroma_url}: {error}"
        ) from None


def open_records(settings: Settings) -> Records:
    """PostgreSQL when NEWSRAG_DATABASE_URL is set, else the SQLite file in the data dir."""
    if settings.database_dsn:
        from rag.postgres import PostgresRecords

        return PostgresRecords(settings.database_dsn)
    return ArticleRecords(settings.records_path)


def open_store(settings: Settings, embedding_name: str | None = None) -> NewsStore:
    """Open (or create) the collection. `embedding_name`: the model whose vectors the caller
    will write or query with; a collection built with another model is refused. None: the
    model NEWSRAG_EMBEDDING names or, when it is unset, whichever model built the collection
    (`store.embedding_model`; a new collection records the default)."""
    from rag.models import embedding_model_name, model_mismatch

    wanted = embedding_name or (embedding_model_name(settings) if settings.embedding else None)
    client = chroma_client(settings)
    collection = get_or_create(client, settings, wanted or embedding_model_name(settings))
    recorded = recorded_model(collection)
    if wanted is not None and recorded != wanted:
        where = (
            f"collection '{settings.collection}' in {settings.chroma_url or settings.chroma_dir}"
        )
        raise StoreError(model_mismatch(where, recorded, wanted))
    records = open_records(settings)

    def reopen() -> Any:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # else the same stale system is handed back
        return chroma_client(settings).get_collection(settings.collection)

    store = NewsStore(
        collection,
        records,
        client.get_max_batch_size(),
        settings.data_dir,
        reopen=None if settings.chroma_url else reopen,
    )
    store.embedding_model = recorded
    store.backfill_lexical_index()
    return store


def get_or_create(client: Any, settings: Settings, new_model: str) -> Any:
    """The collection; a new one records `new_model` as the model it is built with."""
    try:
        return client.get_or_create_collection(
            settings.collection,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": new_model},
        )
    except Exception as error:
        if not settings.chroma_url:
            raise
        logger.debug("Chroma server failed", exc_info=True)
        raise StoreError(f"the Chroma server at {settings.chroma_url} failed: {error}") from None


def recorded_model(collection: Any) -> str:
    """The embedding model a collection was built with; one that records none predates the
    int8 model and was built with the fp32 one."""
    from rag.models import FP32_MINILM

    return str((collection.metadata or {}).get("embedding_model") or FP32_MINILM)
