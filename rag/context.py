"""Stage: choose the context, the passages the model is shown. Select the best few retrieved
passages, then shape each: the article's chunk that best answers, its neighbours, a window;
last, fit them all into one character budget. What leaves this stage is exactly the text the
model sees and the text its answer is verified against: nothing later cuts or reshapes it."""

from __future__ import annotations

from typing import Protocol

from rag.config import Settings
from rag.evidence import best_sentence_score, evidence_score
from rag.passage import Passage, chunk_id
from rag.question import Question

# Passages scoring far below the best one only distract a small model (measured: it answered
# "China", from a Moon-landing passage, to who took over the NAM chair).
RELATIVE_CONTEXT_CUTOFF = 0.75
# Prompt length is most of the bundled model's latency (~590 prompt tokens/s here): three
# 900-character chunks, or more passages when they are short (RGB's are ~200 characters).
# The one bound on the passages' text; a passage gets an equal share of what is left.
CONTEXT_CHARS = 2700


class ChunkReader(Protocol):
    """Where the other chunks of an article come from (the retriever, over the store)."""

    def chunk_count(self, doc_id: str) -> int: ...

    def chunks(self, ids: list[str]) -> dict[str, Passage]: ...


def select(ranked: list[Passage], limit: int) -> list[Passage]:
    """The best passages, dropping those scoring under 75% of the best score."""
    if not ranked:
        return []
    best = max(p.score for p in ranked)
    return [p for p in ranked if p.score >= RELATIVE_CONTEXT_CUTOFF * best][:limit]


def shape(
    context: list[Passage], question: Question, settings: Settings, reader: ChunkReader
) -> list[Passage]:
    """Each selected passage as the model will see it."""
    if settings.best_chunk and context:  # the top article only: each chunk costs time
        context = [best_chunk(context[0], question, reader), *context[1:]]
    if settings.neighbour_chunks:
        context = [with_neighbours(p, settings.neighbour_chunks, reader) for p in context]
    if settings.passage_chars:
        context = [focus_passage(p, question, settings.passage_chars) for p in context]
    return fit(context, question, CONTEXT_CHARS)


def fit(context: list[Passage], question: Question, budget: int) -> list[Passage]:
    """The passages as shown: without sentences that address the model, and within `budget`
    characters in all. One longer than its share keeps the whole sentences around its best
    evidence (with neighbours on, the first `budget` characters could be the chunk before the
    match, and the match itself cut away)."""
    fitted: list[Passage] = []
    for i, passage in enumerate(context):
        share = (budget - sum(len(p.text) for p in fitted)) // (len(context) - i)
        shown = passage.with_text(passage.defanged) if passage.defanged != passage.text else passage
        if len(shown.text) > share:
            shown = focus_passage(shown, question, share)
            shown = shown.with_text(shown.text[:share]) if len(shown.text) > share else shown
        fitted.append(shown)
    return fitted


def best_chunk(passage: Passage, question: Question, reader: ChunkReader) -> Passage:
    """The article's chunk whose best sentence best answers the question. Retrieval ranks
    articles by their closest chunk, often the headline's; the fact asked for may sit
    further down ("How many Carry On films..." is answered in the third chunk)."""
    count = reader.chunk_count(passage.doc_id)
    if count < 2:
        return passage
    ids = [chunk_id(passage.doc_id, n) for n in range(count)]
    chunks = reader.chunks(ids)

    def strength(i: str) -> tuple[float, bool]:
        sentences = chunks[i].sentences if i in chunks else []
        return best_sentence_score(sentences, question), i == passage.id

    best_id = max(ids, key=strength)
    if best_id == passage.id or best_id not in chunks:
        return passage
    best = chunks[best_id]
    return passage.with_text(best.text, chunk=best.chunk)  # keeps the match's score and rank


def whole_articles(passages: list[Passage], reader: ChunkReader) -> list[Passage]:
    """Every chunk of each article the passages come from, in article order."""
    chunks: list[Passage] = []
    for doc_id in dict.fromkeys(p.doc_id for p in passages):
        found = reader.chunks([chunk_id(doc_id, n) for n in range(reader.chunk_count(doc_id))])
        chunks += sorted(found.values(), key=lambda chunk: chunk.chunk)
    return chunks


def with_neighbours(passage: Passage, n: int, reader: ChunkReader) -> Passage:
    """The passage with the n chunks before and after it, for facts that span a boundary.
    The chunker repeats a short boundary sentence; it is not repeated here."""
    span = range(passage.chunk - n, passage.chunk + n + 1)
    ids = [chunk_id(passage.doc_id, c) for c in span if c >= 0]
    others = reader.chunks([i for i in ids if i != passage.id])
    sentences: list[str] = []
    for i in ids:
        chunk = passage if i == passage.id else others.get(i)
        for sentence in chunk.sentences if chunk else []:
            if sentence not in sentences[-3:]:
                sentences.append(sentence)
    return passage.with_text(" ".join(sentences))


def focus_passage(passage: Passage, question: Question, max_chars: int) -> Passage:
    """The window of whole sentences, at most max_chars, around the passage's best evidence
    sentence: fewer prompt tokens for the model (most of its latency) and less to distract it."""
    sentences = passage.sentences
    if len(passage.text) <= max_chars or len(sentences) < 2:
        return passage
    scores = [evidence_score(s, question) for s in sentences]
    low = high = scores.index(max(scores))
    size = len(sentences[low])
    while True:  # grow forwards first: the sentence after a claim usually explains it
        if high + 1 < len(sentences) and size + len(sentences[high + 1]) + 1 <= max_chars:
            high += 1
            size += len(sentences[high]) + 1
        elif low > 0 and size + len(sentences[low - 1]) + 1 <= max_chars:
            low -= 1
            size += len(sentences[low]) + 1
        else:
            break
    return passage.with_text(" ".join(sentences[low : high + 1]))
