"""The question, parsed once: every later stage reads these fields and derives none of them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answertype import wanted_type
from rag.asked import asked_kind
from rag.attribution import named_outlets
from rag.candidates import MONTH
from rag.followup import Turn, standalone_query
from rag.text import stems
from rag.timescope import TimeScope, parse_time_scope

MAX_QUESTION_CHARS = 2000  # a question, not a document: longer input is cut, never refused

_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*")
# The day of a date ("October 22, 2023", "1st of May"): an article says its date as
# 2023-10-22, and the time named is the time scope's to weigh (rag/timescope.py).
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_TO = r"\s*(?:and|to|-|–)\s*"  # a range of days: "between 24 and 26 December"
_DAY_OF_MONTH = re.compile(
    rf"\b{MONTH}\.?\s+{_DAY}(?:{_TO}{_DAY})?\b|\b{_DAY}(?:{_TO}{_DAY})?\s+(?:of\s+)?{MONTH}\b"
)


def clean_question(text: str) -> str:
    """Printable characters only, white space folded, at most MAX_QUESTION_CHARS."""
    printable = "".join(c if c.isprintable() else " " for c in text[: MAX_QUESTION_CHARS * 2])
    return " ".join(printable.split())[:MAX_QUESTION_CHARS]


@dataclass(frozen=True)
class Question:
    """What was asked, and what the stages need to know about it.

    `text` is what the model is shown and what answers are scored against; `search_query` is
    the text retrieved with (the question plus the last exchange when it refers back).
    """

    text: str
    search_query: str
    kind: str | None  # the kind of answer wanted: "date", "number", "name" or None
    figures: tuple[str, ...]  # numbers as written ("1,200"), repeats kept: each one counts
    scope: TimeScope | None  # the time the question names; None when filters set the dates
    # What a sentence must be about to count: the question's own content words (cut to 5
    # letters), or, for a bare follow-up without any ("When did it?"), the standalone query's.
    # Evidence scoring and verification both read this. Not the search query always: it
    # carries the previous answer's words, which pull evidence back to the last answer.
    topic: frozenset[str]
    asked: str = "other"  # the finer kind the reader extracts (rag.asked.asked_kind)
    outlets: tuple[str, ...] = ()  # outlets it names as news items (rag.attribution)

    @classmethod
    def parse(
        cls,
        text: str,
        history: Sequence[Turn] | None = None,
        newest: str | None = None,
        with_scope: bool = True,
    ) -> Question:
        """`newest`: the newest article's ISO date, what 'last year' is relative to;
        `with_scope=False` when explicit date filters win over a time named in the question."""
        text = clean_question(text)
        query = standalone_query(text, history)
        kind = wanted_type(text)
        return cls(
            text=text,
            search_query=query,
            kind=kind,
            figures=tuple(_NUMBER.findall(text)),
            scope=parse_time_scope(text, newest) if with_scope else None,
            topic=stems(text) or stems(query),
            asked=asked_kind(text, kind),
            outlets=tuple(named_outlets(text)),
        )

    @property
    def anchors(self) -> set[str]:
        """Years and other figures, commas dropped; passages that never mention one cannot
        answer. (Cosine similarity alone cannot tell 'the 2030 World Cup' from the 1966 one:
        MiniLM scores both about 0.5.) Not the day of a date: no article writes its own date
        out ("October 1st" is 2023-10-01), and the time scope weighs dates."""
        days = {day for match in _DAY_OF_MONTH.finditer(self.text) for day in match.groups() if day}
        return {figure.replace(",", "") for figure in self.figures} - days
