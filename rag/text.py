"""Sentence splitting shared by chunking (ingest) and evidence selection (answers)."""

from __future__ import annotations

import re

# Words after which a full stop does not end a sentence ("Mr. Smith", "U.S. officials").
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "gen", "gov", "sen", "rep", "sgt", "col", "lt",
    "capt", "cmdr", "adm", "jr", "sr", "inc", "ltd", "co", "corp", "vs", "no", "nos", "fig",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.k", "u.n", "e.g", "i.e", "etc", "approx", "est", "mt", "ft",
}  # fmt: skip
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’')\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into sentences, keeping abbreviations and initials together."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        candidate = paragraph[start : match.start()].strip()
        last_word = candidate.rsplit(" ", 1)[-1].rstrip(".").lower()
        if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
            continue
        pieces.append(paragraph[start : match.end()].strip())
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def header_line(title: str, source: str, published: str | None) -> str:
    """'Title | Source | 2024-12-28': the context a chunk's own text lacks. It is embedded
    with every chunk and indexed with it (on MultiHop it lifted recall@10 from 0.86 to 0.93)."""
    return " | ".join(part for part in (title, source, published) if part)
