"""Dense retrieval over the chunk store, ranked per article (one entry per article)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.store import ChunkHit, NewsStore

# Chunks fetched per article asked for: several chunks of one article must not crowd out others.
CHUNKS_PER_ARTICLE = 5


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to a date range (ISO dates, inclusive) and/or one source."""

    since: str | None = None
    until: str | None = None
    source: str | None = None

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.since:
            clauses.append({"published_day": {"$gte": int(self.since.replace("-", ""))}})
        if self.until:
            clauses.append({"published_day": {"$lte": int(self.until.replace("-", ""))}})
        if self.since and not self.until:
            clauses.append({"published_day": {"$gt": 0}})  # undated articles never match a range
        if self.source:
            clauses.append({"source": self.source})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def best_chunk_per_article(hits: list[ChunkHit], k: int) -> list[ChunkHit]:
    """Keep each article's best-scoring chunk, best articles first."""
    best: dict[str, ChunkHit] = {}
    for hit in hits:
        if hit.doc_id not in best or hit.score > best[hit.doc_id].score:
            best[hit.doc_id] = hit
    return sorted(best.values(), key=lambda h: h.score, reverse=True)[:k]


def hit_to_document(hit: ChunkHit) -> Document:
    return Document(
        page_content=hit.text,
        id=f"{hit.doc_id}:{hit.chunk}",
        metadata={**hit.metadata, "score": round(hit.score, 4)},
    )


class NewsRetriever(BaseRetriever):
    """LangChain retriever: question -> one Document per article, best first."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: NewsStore
    embeddings: Embeddings
    k: int = 4
    filters: Filters = Filters()

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.search(query, self.k, self.filters)

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Document]:
        vector = self.embeddings.embed_query(query)
        where = (filters or Filters()).where()
        hits = self.store.query(vector, n=k * CHUNKS_PER_ARTICLE, where=where)
        return [hit_to_document(hit) for hit in best_chunk_per_article(hits, k)]
