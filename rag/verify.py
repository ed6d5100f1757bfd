"""Check a generated answer against its sources, sentence by sentence, before anyone sees it.

A sentence is supported when every number, date and proper name in it appears in a sentence of
a passage it cites that is also about the question. A sentence citing the wrong passage is
re-cited when another passage supports it; an unsupported sentence is dropped. With nothing
left, the caller falls back to quoting the best evidence sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from langchain_core.documents import Document

from rag.answer import INSTRUCTION_LIKE, NAME_OR_NUMBER, STOPWORDS, stems
from rag.text import split_sentences

_CITATION = re.compile(r"\s*\[(\d+)\]")


@dataclass
class Verified:
    text: str
    cited: list[int]
    evidence: dict[int, list[str]] = field(default_factory=dict)  # source n -> sentences
    dropped: list[str] = field(default_factory=list)


def claim_terms(sentence: str) -> list[str]:
    """Numbers, dates and capitalised names a sentence asserts (a leading 'The' is no name)."""
    body = _CITATION.sub("", sentence)
    words = body.split()
    first = words[0] if words else ""
    return [
        re.sub(r"['’]s$", "", term.strip(".,"))  # "Tesla's" is supported by "Tesla"
        for term in NAME_OR_NUMBER.findall(body)
        if not (term == first and term.lower() in STOPWORDS)
    ]


def passage_sentences(doc: Document) -> list[str]:
    """Body sentences first, the title last: evidence should be the article's own words."""
    body = [
        s
        for s in split_sentences(" ".join(doc.page_content.split()))
        if not INSTRUCTION_LIKE.search(s)
    ]
    title = doc.metadata.get("title", "")
    return [*body, title] if title else body


def supporting_sentences(terms: list[str], topic: set[str], doc: Document) -> list[str] | None:
    """The passage sentences that carry every term and touch the topic; None if some term
    is in none of them."""
    relevant = [s for s in passage_sentences(doc) if topic & stems(s)]
    used: list[str] = []
    for term in terms:
        holder = next((s for s in relevant if term.lower() in s.lower()), None)
        if holder is None:
            return None
        if holder not in used:
            used.append(holder)
    if not used and relevant:  # nothing to check: the sentence closest to the claim
        used = [max(relevant, key=lambda s: len(topic & stems(s)))]
    return used


def with_citation(claim: str, n: int) -> str:
    """'Uganda took over.' -> 'Uganda took over [1].'"""
    body = claim.rstrip()
    stop = body[-1] if body and body[-1] in ".!?" else "."
    return f"{body.rstrip('.!?').rstrip()} [{n}]{stop}"


def verify_answer(text: str, question: str, documents: list[Document]) -> Verified:
    """Keep the supported sentences of `text`, each citing a passage that supports it."""
    result = Verified(text="", cited=[])
    kept: list[str] = []
    seen: set[str] = set()
    for sentence in split_sentences(text):
        claim = _CITATION.sub("", sentence).strip()
        key = claim.lower().rstrip(".!? ")
        if not claim or key in seen:
            continue  # a small model may repeat its sentence until the token limit
        seen.add(key)
        topic = stems(question)
        terms = claim_terms(claim)
        cited = [int(n) for n in _CITATION.findall(sentence) if 0 < int(n) <= len(documents)]
        order = cited + [n for n in range(1, len(documents) + 1) if n not in cited]
        for n in order:
            support = supporting_sentences(terms, topic, documents[n - 1])
            if support:
                kept.append(with_citation(claim, n))
                result.evidence.setdefault(n, []).extend(
                    s for s in support if s not in result.evidence.get(n, [])
                )
                if n not in result.cited:
                    result.cited.append(n)
                break
        else:
            result.dropped.append(claim)
    result.text = " ".join(kept)
    return result
