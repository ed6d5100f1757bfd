"""Copy a store's SQLite records, lexical index and side tables into PostgreSQL and, when the
target names another Chroma (a server), its chunks with their vectors, documents and metadata,
read in pages: nothing is re-embedded. Safe to re-run: every write is an upsert.

The order is ingestion's: chunks first, then each batch of records with its lexical rows in one
transaction, so a copy killed at any point and run again ends with the complete store."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from rag.database import LexicalRow, StoreError
from rag.store import NewsStore, chroma_client, open_store

if TYPE_CHECKING:
    from rag.config import Settings


@dataclass
class MigrationReport:
    records_to: str  # where the records went (password masked)
    chunks_to: str  # where the chunks are: the Chroma server's collection, or "unchanged"
    chunks: int = 0  # chunks copied (0 when the vectors stay where they are)
    articles: int = 0
    lexical_rows: int = 0
    side_rows: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        chunks = (
            f"copied {self.chunks:,} chunks (vectors, text, metadata) to {self.chunks_to}"
            if self.chunks_to != "unchanged"
            else "the chunks stay where they are (no --chroma-url): nothing re-embedded"
        )
        return [
            f"copied {self.articles:,} articles, {self.lexical_rows:,} lexical-index rows and "
            f"{self.side_rows:,} side-table rows to {self.records_to}",
            chunks,
            f"took {self.seconds:.1f} s; safe to run again (upserts)",
        ]


def migrate(source: Settings, target: Settings, page: int = 500) -> MigrationReport:
    """Copy the store `source` describes (SQLite records) into `target` (PostgreSQL records,
    and maybe a Chroma server). Holds both stores' writer locks while it copies."""
    started = time.perf_counter()
    if source.database_dsn or not target.database_dsn:
        raise StoreError("migrate copies SQLite records into PostgreSQL: give a postgresql:// URL")
    if not source.records_path.exists():
        raise StoreError(f"no store to migrate in {source.data_dir} (no articles.sqlite3)")
    model = recorded_model(source)
    src, dst = open_store(source, model), open_store(target, model)
    same_chunks = (source.chroma_url, source.chroma_dir, source.collection) == (
        target.chroma_url,
        target.chroma_dir,
        target.collection,
    )
    where = f"collection '{target.collection}' at {target.chroma_url}"
    report = MigrationReport(dst.records.describe(), "unchanged" if same_chunks else where)
    with src.writing(), dst.writing():
        if not same_chunks:
            report.chunks = copy_chunks(src, dst, page)
        copy_records(src, dst, page, report)
        for name in src.records.side_table_names():
            table = dst.side_table(name)
            for key, value in src.side_table(name).items():
                table.put(key, value)
                report.side_rows += 1
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def recorded_model(settings: Settings) -> str:
    """The embedding model the store's collection was built with."""
    try:
        collection = chroma_client(settings).get_collection(settings.collection)
    except StoreError:
        raise
    except Exception as error:  # chromadb's NotFoundError and friends
        raise StoreError(f"no collection '{settings.collection}' to migrate: {error}") from None
    return str((collection.metadata or {}).get("embedding_model", ""))


def copy_chunks(src: NewsStore, dst: NewsStore, page: int) -> int:
    """Every chunk with its stored vector, page by page (upserts: re-runs overwrite)."""
    copied = 0
    for offset in range(0, src.count_chunks(), page):
        got = src.collection.get(
            include=["embeddings", "documents", "metadatas"], limit=page, offset=offset
        )
        vectors = [[float(x) for x in vector] for vector in got["embeddings"]]
        metadatas = [dict(meta or {}) for meta in got["metadatas"]]
        dst.upsert(list(got["ids"]), list(got["documents"]), vectors, metadatas)
        copied += len(got["ids"])
    return copied


def copy_records(src: NewsStore, dst: NewsStore, page: int, report: MigrationReport) -> None:
    """Records in batches, each with its lexical rows, in one transaction per batch."""
    records = src.records.listing(limit=2**62)
    for start in range(0, len(records), page):
        batch = records[start : start + page]
        rows: dict[tuple[str, int], LexicalRow] = {}
        for row in src.records.lexical_rows([r.doc_id for r in batch]):
            rows[(row[1], row[2])] = row  # once each, should the index hold a row twice
        dst.records.save(batch, list(rows.values()))
        report.articles += len(batch)
        report.lexical_rows += len(rows)
