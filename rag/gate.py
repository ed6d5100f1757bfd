"""Stage: the relevance gate. Refuse, without calling the model, when the chosen passages
cannot answer the question; the reason is kept for the caller."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.attribution import unknown_outlets
from rag.passage import Passage
from rag.question import Question


@dataclass(frozen=True)
class Gate:
    reason: str | None = None  # why the passages cannot answer; None when they may
    message: str | None = None  # what the refusal tells the user, where it can say more

    @property
    def refuses(self) -> bool:
        return self.reason is not None


def gate(
    question: Question,
    passages: list[Passage],
    min_relevance: float,
    outlets: Sequence[str] | None = None,
    articles: Callable[[], Sequence[Passage]] | None = None,
) -> Gate:
    """`outlets`: every source the collection's articles come from (None: not known, as for
    passages handed over by the caller), against which the outlets a question names are
    checked. `articles`: the whole articles the passages come from, read only when a figure
    the question names is in none of the passages (None: the passages are all there is)."""
    if not passages:
        return Gate("no articles are ingested")
    best = max(p.score for p in passages)
    if best < min_relevance:
        return Gate(f"best passage similarity {best:.2f} is below {min_relevance:.2f}")
    missing = unmentioned(question.anchors, passages)
    if missing and articles is not None:
        # the matched chunk is one part of its article: "late 2004" may sit three chunks on,
        # and an article that names the year anywhere is about it (on our tune cases, 8 of
        # the 12 refusals for a missing figure were of answerable questions)
        missing = unmentioned(set(missing), articles())
    if missing:
        return Gate(f"no passage mentions {', '.join(missing)}")
    absent: list[str] = []
    if question.outlets and outlets is not None:  # parsed once: most questions name none
        absent = unknown_outlets(question.text, outlets)
    if absent:
        names = " or ".join(absent)
        return Gate(
            f"no ingested article is from {names}",
            f"None of the ingested articles is from {names}, so I can't say what it reported.",
        )
    return Gate()


def unmentioned(figures: set[str], passages: Sequence[Passage]) -> list[str]:
    """The figures (commas dropped) that no passage's title, date or text mentions."""
    haystack = " ".join(f"{p.title} {p.published or ''} {p.text}" for p in passages)
    haystack = haystack.replace(",", "")
    return sorted(n for n in figures if not re.search(rf"(?<![\d.]){n}(?![\d])", haystack))
