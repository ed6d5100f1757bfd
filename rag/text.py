"""Sentence splitting shared by chunking (ingest) and evidence selection (answers), and the
small text facts the question path shares: the citation marker, words, stop words, stems."""

from __future__ import annotations

import re

# "[2]": how an answer cites its passage or source. The one pattern; others derive from it.
CITATION = re.compile(r"\[(\d+)\]")
WORD = re.compile(r"[a-z0-9]+")
# Words too common to tell passages apart; also dropped from BM25 queries (every chunk has "the").
STOPWORDS = frozenset(
    (
        "a an the of in on at to for from by with and or but is are was were be been has have "
        "had did do does what which who whom whose when where why how that this these those it "
        "its as than then there their they he she his her him them we you i me my our your "
        "about into over after before during not no yes can could would should will shall may "
        "might"
    ).split()
)


def words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def stems(text: str) -> frozenset[str]:
    """Content words cut to 5 letters, so 'chair' meets 'chaired' and 'chairmanship'."""
    return frozenset(w[:5] for w in WORD.findall(text.lower()) if w not in STOPWORDS)


# Words after which a full stop does not end a sentence ("Mr. Smith", "U.S. officials").
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "gen",
    "gov",
    "sen",
    "rep",
    "sgt",
    "col",
    "lt",
    "capt",
    "cmdr",
    "adm",
    "jr",
    "sr",
    "inc",
    "ltd",
    "co",
    "corp",
    "vs",
    "no",
    "nos",
    "fig",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.k",
    "u.n",
    "e.g",
    "i.e",
    "etc",
    "approx",
    "est",
    "mt",
    "ft",
}
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
