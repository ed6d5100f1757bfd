"""A retrieved passage: one chunk of one article, typed. Documents from the store are turned
into Passages once, at the retrieval boundary; every later stage reads these fields."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from rag.answer import Source
from rag.text import split_sentences

# Text in an article that addresses the model rather than the reader. Retrieved text is data:
# such sentences are cut from the passages the model sees and never count as evidence.
INSTRUCTION_LIKE = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.!?]{0,60}\b(instructions?|prompts?|rules|above|"
    r"previous|context)\b|\b(reply|respond|answer|say|output|print)\b[^.!?]{0,30}\b(only|with|"
    r"exactly)\b|\bsystem prompt\b|\byou are (now )?(an? )?(ai|assistant|chatbot|language model)\b",
    re.IGNORECASE,
)


def chunk_id(doc_id: str, n: int) -> str:
    """The store's id of an article's chunk n: the one place this id is spelled."""
    return f"{doc_id}:{n}"


@dataclass
class Passage:
    doc_id: str
    chunk: int
    text: str
    title: str = ""
    published: str | None = None
    source: str = ""
    url: str = ""
    also_urls: list[str] = field(default_factory=list)  # the same story at other addresses
    score: float = 0.0  # cosine similarity to the question: what the relevance gate reads
    rrf: float | None = None  # fused rank score (retrieval's order)
    in_time_scope: bool | None = None  # inside the time the question named; None: undated

    @property
    def id(self) -> str:
        return chunk_id(self.doc_id, self.chunk)

    @cached_property
    def sentences(self) -> list[str]:
        """All sentences, white space folded; split once per passage text."""
        return split_sentences(" ".join(self.text.split()))

    @cached_property
    def clean_sentences(self) -> list[str]:
        """The sentences that may be shown to the model and count as evidence."""
        return [s for s in self.sentences if not INSTRUCTION_LIKE.search(s)]

    @property
    def defanged(self) -> str:
        """The text without sentences that give orders to a language model."""
        return " ".join(self.clean_sentences)

    def with_text(self, text: str, **changes: Any) -> Passage:
        """The same passage (or, with `chunk=`, another chunk of its article) holding `text`;
        its sentences are split afresh."""
        return dataclasses.replace(self, text=text, **changes)

    @classmethod
    def from_store(cls, text: str, metadata: dict[str, Any], **extra: Any) -> Passage:
        """A chunk as the store holds it (metadata from ingestion) -> Passage."""
        return cls(
            doc_id=str(metadata["doc_id"]),
            chunk=int(metadata.get("chunk", 0)),
            text=text,
            title=str(metadata.get("title", "")),
            published=metadata.get("published") or None,
            source=str(metadata.get("source", "")),
            url=str(metadata.get("url", "")),
            also_urls=str(metadata.get("also_urls") or "").split(),  # stored space-joined
            **extra,
        )

    def to_source(self, n: int) -> Source:
        return Source(
            n=n,
            doc_id=self.doc_id,
            title=self.title,
            published=self.published,
            source=self.source,
            url=self.url,
            snippet=self.text,
            score=self.score,
            in_time_scope=self.in_time_scope,
            also_urls=list(self.also_urls),
        )
