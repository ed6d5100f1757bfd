"""Hybrid retrieval: dense (Chroma, cosine) and lexical (FTS5 BM25) rankings of articles, fused
with reciprocal rank fusion, plus a boost for articles inside the time a question names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.embeddings import Embeddings

from rag.passage import Passage, chunk_id
from rag.store import ChunkHit, NewsStore
from rag.timescope import TimeScope

# Cormack et al. (2009) use 60; 10 weighs top ranks more and did better on every set of
# scripts/bench_retrieval.py (BBC hit@5 0.943 -> 0.952, MultiHop recall@10 0.941 -> 0.945).
RRF_K = 10
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


# A question that names an outlet ("as reported by TechCrunch") gets one more ranking per
# outlet: the best articles of that outlet alone. Multi-source questions otherwise lose the
# one article of the second outlet to many similar ones from the first.
SOURCE_CHUNKS = 20


def mentioned_sources(query: str, sources: list[str]) -> list[str]:
    """Sources named in the query: the full name or its part before ' | ' ('Cnbc')."""
    lowered = f" {query.lower()} "
    found = []
    for source in sources:
        short = source.split(" | ")[0].strip().lower()
        if len(short) >= 3 and re.search(rf"(?<![\w]){re.escape(short)}(?![\w])", lowered):
            found.append(source)
    return found[:4]


def dot(a: list[float], b: list[float]) -> float:
    return float(sum(x * y for x, y in zip(a, b, strict=False)))


@dataclass
class NewsRetriever:
    """Question -> one Passage per article, best first: the boundary where the store's chunks
    become Passages. A plain class: nothing here ran through LangChain's `invoke`, and the
    pipeline needs more than `invoke` gives (k, filters, time scope, other chunks)."""

    store: NewsStore
    embeddings: Embeddings
    mode: Mode = "hybrid"

    def search(
        self,
        query: str,
        k: int,
        filters: Filters | None = None,
        scope: TimeScope | None = None,
    ) -> list[Passage]:
        """Each Passage holds the article's best chunk, its `score` (cosine similarity of that
        chunk to the query, what the relevance gate reads), `rrf` and `in_time_scope`."""
        filters = filters or Filters()
        vector = self.embeddings.embed_query(query)
        rankings, chunk_of, dense_hits = self.rankings(query, vector, filters)
        if not chunk_of:
            return []
        published = self.store.records.published_dates(list(chunk_of)) if scope else {}
        fused = fuse_with_time(rankings, published, scope)
        top = sorted(fused, key=lambda d: fused[d], reverse=True)[:k]
        ids = [chunk_id(d, chunk_of[d]) for d in top]
        # dense hits carry their text and similarity; only lexical-only hits are fetched
        fetched = self.store.chunks_with_vectors([i for i in ids if i not in dense_hits])
        passages = []
        for doc_id, id_ in zip(top, ids, strict=True):
            if id_ in dense_hits:
                hit = dense_hits[id_]
                text, meta, score = hit.text, hit.metadata, hit.score
            else:
                text, meta, chunk_vector = fetched[id_]
                score = dot(vector, chunk_vector)
            in_scope = scope.contains(meta.get("published")) if scope else None
            passages.append(
                Passage.from_store(
                    text,
                    meta,
                    score=round(score, 4),
                    rrf=round(fused[doc_id], 5),
                    in_time_scope=in_scope,
                )
            )
        return passages

    def chunks(self, ids: list[str]) -> dict[str, Passage]:
        """Chunks by id (those the store has), as Passages without a score."""
        found = self.store.chunks_with_vectors(ids, vectors=False)
        return {i: Passage.from_store(text, meta) for i, (text, meta, _) in found.items()}

    def chunk_count(self, doc_id: str) -> int:
        record = self.store.records.get(doc_id)
        return record.chunks if record else 0

    def newest_published(self) -> str | None:
        return self.store.records.newest_published()

    def rankings(
        self, query: str, vector: list[float], filters: Filters
    ) -> tuple[list[list[str]], dict[str, int], dict[str, ChunkHit]]:
        """Article rankings from each enabled retriever, each article's best chunk, and the
        dense hits by chunk id."""
        rankings: list[list[str]] = []
        chunk_of: dict[str, int] = {}
        dense_hits: dict[str, ChunkHit] = {}
        if self.mode in ("dense", "hybrid"):
            hits = self.store.query(vector, n=DENSE_CHUNKS, where=filters.where())
            dense_hits = {chunk_id(h.doc_id, h.chunk): h for h in hits}
            dense = first_per_article((h.doc_id, h.chunk) for h in hits)
            rankings.append(list(dense))
            chunk_of.update(dense)
        if self.mode in ("lexical", "hybrid"):
            lex = self.lexical_ranking(query, filters)
            rankings.append(list(lex))
            for doc_id, chunk in lex.items():
                chunk_of.setdefault(doc_id, chunk)  # the dense best chunk is the better snippet
        if self.mode == "hybrid" and not filters.source:
            for source in mentioned_sources(query, self.store.records.minor_sources()):
                narrowed = Filters(filters.since, filters.until, source)
                per_source = self.lexical_ranking(query, narrowed, SOURCE_CHUNKS)
                hits = self.store.query(vector, n=SOURCE_CHUNKS, where=narrowed.where())
                dense_hits.update({chunk_id(h.doc_id, h.chunk): h for h in hits})
                dense = first_per_article((h.doc_id, h.chunk) for h in hits)
                fused = reciprocal_rank_fusion([list(dense), list(per_source)])
                rankings.append(sorted(fused, key=lambda d: fused[d], reverse=True))
                for doc_id, chunk in {**per_source, **dense}.items():
                    chunk_of.setdefault(doc_id, chunk)
        return rankings, chunk_of, dense_hits

    def lexical_ranking(
        self, query: str, filters: Filters, n: int = LEXICAL_CHUNKS
    ) -> dict[str, int]:
        hits = self.store.records.lexical_search(query, n, filters)
        return first_per_article((h.doc_id, h.chunk) for h in hits)
