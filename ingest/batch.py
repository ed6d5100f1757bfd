"""Articles on their way into the store: chunked (`prepare`), embedded in order of length
(`embed_by_length`), then stored chunks first, records last (`store_batch`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings

from ingest.chunking import Chunk, chunk_article, embedding_text
from ingest.loaders import Article
from ingest.report import IngestReport
from rag.passage import chunk_id
from rag.store import ArticleRecord, NewsStore, lexical_row


@dataclass(frozen=True)
class Prepared:
    """One article's chunks, ready to embed, and the record to commit once they are stored."""

    record: ArticleRecord
    ids: list[str]
    texts: list[str]
    to_embed: list[str]
    metadatas: list[dict[str, Any]]


@dataclass
class Batch:
    """Articles stored together, and doc ids whose files no longer hold them (removed first)."""

    articles: list[Prepared] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)

    @property
    def chunks(self) -> int:
        return sum(len(a.ids) for a in self.articles)

    def to_embed(self) -> list[str]:
        return [text for article in self.articles for text in article.to_embed]


def chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    published_day = int(article.published.replace("-", "")) if article.published else 0
    return {
        "doc_id": article.doc_id,
        "chunk": chunk.number,
        "title": article.title,
        "published": article.published or "",
        "published_day": published_day,  # YYYYMMDD as a number, for range filters in Chroma
        "source": article.source,
        "url": article.url,
    }


def prepare(article: Article, origin: str, content_hash: str, chunk_chars: int) -> Prepared:
    chunks = chunk_article(article, chunk_chars)
    record = ArticleRecord(
        article.doc_id,
        origin,
        content_hash,
        article.title,
        article.published,
        article.source,
        article.url,
        len(chunks),
    )
    return Prepared(
        record,
        [chunk_id(article.doc_id, c.number) for c in chunks],
        [c.text for c in chunks],
        [embedding_text(article, c) for c in chunks],
        [chunk_metadata(article, c) for c in chunks],
    )


def embed_by_length(embeddings: Embeddings, texts: list[str]) -> list[list[float]]:
    """Embed shortest first, so each of the model's batches holds texts of about one length
    (little padding); the vectors come back in the order of `texts`."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = embeddings.embed_documents([texts[i] for i in order]) if texts else []
    in_place: list[list[float]] = [[] for _ in texts]
    for vector, i in zip(vectors, order, strict=True):
        in_place[i] = vector
    return in_place


def store_batch(
    store: NewsStore, batch: Batch, vectors: list[list[float]], report: IngestReport
) -> None:
    """Chunks are upserted before the records commit: a run killed in between leaves records
    that describe stored chunks, and a re-run rewrites whatever is missing."""
    if batch.gone:  # records dropped from a JSON file since the last run
        remove_articles(store, batch.gone, report)
    if not batch.articles:
        return
    ids = [i for a in batch.articles for i in a.ids]
    texts = [t for a in batch.articles for t in a.texts]
    metadatas = [m for a in batch.articles for m in a.metadatas]
    store.upsert(ids, texts, vectors, metadatas)
    # a shorter new version leaves old tail chunks behind
    store.delete_tails([(a.record.doc_id, a.record.chunks) for a in batch.articles])
    lexical_rows = [lexical_row(t, m) for t, m in zip(texts, metadatas, strict=True)]
    store.records.save([a.record for a in batch.articles], lexical_rows)
    report.chunks_written += len(ids)


def remove_articles(store: NewsStore, doc_ids: list[str], report: IngestReport) -> None:
    for doc_id in doc_ids:
        record = store.records.get(doc_id)
        store.delete_chunks(doc_id)
        report.chunks_deleted += record.chunks if record else 0
    store.records.delete(doc_ids)
