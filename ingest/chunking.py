"""Article -> chunks that keep sentences whole (pure functions, no models)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.loaders import Article
from rag.text import header_line, split_sentences


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    number: int
    text: str


def split_long(sentence: str, limit: int) -> list[str]:
    """Cut a sentence longer than `limit` at word boundaries (tables, run-on scrapes)."""
    parts: list[str] = []
    while len(sentence) > limit:
        cut = sentence.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    return [*parts, sentence] if sentence else parts


def article_sentences(text: str, limit: int) -> list[str]:
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        for sentence in split_sentences(paragraph.strip()):
            sentences.extend(split_long(sentence, limit))
    return sentences


def chunk_article(article: Article, max_chars: int = 900) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `max_chars`.

    The last sentence of a chunk opens the next one when it is short, so a fact stated
    across a chunk boundary still appears whole in one chunk.
    """
    sentences = article_sentences(article.text, max_chars)
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        if current and size + 1 + len(sentence) > max_chars:
            chunks.append(current)
            carry = current[-1] if len(current[-1]) <= max_chars // 4 else None
            current = [carry] if carry and len(carry) + 1 + len(sentence) <= max_chars else []
            size = sum(len(s) + 1 for s in current)
        current.append(sentence)
        size += len(sentence) + 1
    if current:
        chunks.append(current)
    return [
        Chunk(doc_id=article.doc_id, number=number, text=" ".join(sentences_))
        for number, sentences_ in enumerate(chunks)
    ]


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What gets embedded: the article's header line, then the chunk."""
    return f"{header_line(article.title, article.source, article.published)}\n{chunk.text}"
