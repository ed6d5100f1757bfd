"""Hybrid retrieval: dense (Chroma, cosine) and lexical (FTS5 BM25) rankings of articles, fused
with reciprocal rank fusion, plus a boost for articles inside the time a question names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag import lexical
from rag.store import NewsStore
from rag.timescope import TimeScope

RRF_K = 60  # the constant from Cormack et al. (2009); rank 1 scores 1/61
DENSE_CHUNKS = 60  # chunk candidates per ranking; several chunks per article are common
LEXICAL_CHUNKS = 60
Mode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to a date range (ISO dates, inclusive) and/or one source."""

    since: str | None = None
    until: str | None = None
    source: str | None = None

    @property
    def since_day(self) -> int | None:
        return int(self.since.replace("-", "")) if self.since else None

    @property
    def until_day(self) -> int | None:
        return int(self.until.replace("-", "")) if self.until else None

    def where(self) -> dict[str, Any] | None:
        """The same restriction as a Chroma `where` clause (applied inside the store query)."""
        clauses: list[dict[str, Any]] = []
        if self.since_day:
            clauses.append({"published_day": {"$gte": self.since_day}})
        if self.until_day:
            clauses.append({"published_day": {"$lte": self.until_day}})
            clauses.append({"published_day": {"$gt": 0}})  # undated articles match no range
        if self.source:
            clauses.append({"source": self.source})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def first_per_article(chunk_ids: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Best-first chunk hits -> {doc_id: best chunk}, in rank order (one entry per article)."""
    best: dict[str, int] = {}
    for doc_id, chunk in chunk_ids:
        best.setdefault(doc_id, chunk)
    return best


def reciprocal_rank_fusion(
    rankings: list[list[str]], k: int = RRF_K, weights: list[float] | None = None
) -> dict[str, float]:
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
    return scores


# "The latest on X" re-ranks only the articles already relevant to X, newest first, and
# weighs it three times: enough to lift the newest of several close matches, not enough to
# lift a weak match over a strong one; never an article unrelated to X.
LATEST_POOL = 10
LATEST_WEIGHT = 3.0


def fuse_with_time(
    rankings: list[list[str]], published: dict[str, str], scope: TimeScope | None
) -> dict[str, float]:
    """RRF of the retrievers' rankings, plus a ranking of in-scope (or newest) articles."""
    fused = reciprocal_rank_fusion(rankings)
    if scope is None:
        return fused
    ordered = sorted(fused, key=lambda d: fused[d], reverse=True)
    weights = [1.0] * len(rankings)
    if scope.latest:
        dated = [d for d in ordered[:LATEST_POOL] if published.get(d)]
        newest_first = sorted(dated, key=lambda d: published[d], reverse=True)
        return reciprocal_rank_fusion([*rankings, newest_first], weights=[*weights, LATEST_WEIGHT])
    in_scope = [d for d in ordered if scope.contains(published.get(d))]
    return reciprocal_rank_fusion([*rankings, in_scope], weights=[*weights, 1.0])


def dot(a: list[float], b: list[float]) -> float:
    return float(sum(x * y for x, y in zip(a, b, strict=False)))


class NewsRetriever(BaseRetriever):
    """LangChain retriever: question -> one Document per article, best first.

    Each Document holds the article's best chunk; metadata adds `score` (cosine similarity of
    that chunk to the question, what the refusal gate reads), `rrf` and `in_time_scope`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: NewsStore
    embeddings: Embeddings
    k: int = 4
    mode: Mode = "hybrid"
    filters: Filters = Filters()

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.search(query, self.k, self.filters)

    def search(
        self,
        query: str,
        k: int,
        filters: Filters | None = None,
        scope: TimeScope | None = None,
    ) -> list[Document]:
        filters = filters or Filters()
        vector = self.embeddings.embed_query(query)
        rankings, chunk_of = self.rankings(query, vector, filters)
        if not chunk_of:
            return []
        chunks = self.store.chunks([f"{d}:{c}" for d, c in chunk_of.items()])
        published = {
            cid.rsplit(":", 1)[0]: meta.get("published", "") for cid, (_, meta) in chunks.items()
        }
        fused = fuse_with_time(rankings, published, scope)
        top = sorted(fused, key=lambda d: fused[d], reverse=True)[:k]
        ids = [f"{d}:{chunk_of[d]}" for d in top]
        vectors = self.store.vectors(ids)
        documents = []
        for doc_id, chunk_id in zip(top, ids, strict=True):
            text, meta = chunks[chunk_id]
            meta.update(
                score=round(dot(vector, vectors[chunk_id]), 4),
                rrf=round(fused[doc_id], 5),
                in_time_scope=scope.contains(meta.get("published")) if scope else None,
            )
            documents.append(Document(page_content=text, id=chunk_id, metadata=meta))
        return documents

    def rankings(
        self, query: str, vector: list[float], filters: Filters
    ) -> tuple[list[list[str]], dict[str, int]]:
        """Article rankings from each enabled retriever, and each article's best chunk."""
        rankings: list[list[str]] = []
        chunk_of: dict[str, int] = {}
        if self.mode in ("dense", "hybrid"):
            hits = self.store.query(vector, n=DENSE_CHUNKS, where=filters.where())
            dense = first_per_article((h.doc_id, h.chunk) for h in hits)
            rankings.append(list(dense))
            chunk_of.update(dense)
        if self.mode in ("lexical", "hybrid"):
            hits_lex = lexical.search(
                self.store.records.db, query, LEXICAL_CHUNKS,
                filters.since_day, filters.until_day, filters.source,
            )  # fmt: skip
            lex = first_per_article((h.doc_id, h.chunk) for h in hits_lex)
            rankings.append(list(lex))
            for doc_id, chunk in lex.items():
                chunk_of.setdefault(doc_id, chunk)  # the dense best chunk is the better snippet
        return rankings, chunk_of
