"""What kind of answer a question wants (a name, a date, a number), and whether a sentence
offers one that the question does not already contain.

On-topic passages that lack the answer (RGB's 'negative' passages, near-miss articles) share
the question's words; what they lack is a candidate of the asked-for type.
"""

from __future__ import annotations

import re

from rag.text import CITATION

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = re.compile(
    rf"\b(?:1[0-9]{{3}}|20[0-9]{{2}})\b|\b{_MONTH}\.?\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH}\b", re.I
)
_NUMBER = re.compile(
    r"(?<![A-Za-z])\d[\d,.]*\s*(?:%|percent|bn|m|billion|million|thousand|k)?|"
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|dozen)\b",
    re.I,
)
_NAME = re.compile(r"\b[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+)*")
# Capitalised only because they open a sentence
_OPENERS = frozenset(
    "the a an in on at it its he she his her they their this that these those we our but and "
    "as for after before when while if so then there here who what which how why".split()
)

_DATE_Q = r"^\s*(when\b|what (year|date|day|month)\b|in (what|which) (year|month))"
_NUMBER_Q = (
    r"^\s*(how (much|many|long|old|far|big|large|tall|fast)\b|what (percentage|share|"
    r"proportion|rate|price|value|amount|number|sum|revenue|profit|cost|population)\b|"
    r"what was \S+ (revenue|profit|cost|population|score)\b)"
)
_NAME_Q = (
    r"^\s*(who|whom|whose|where)\b|^\s*(in |at |for |by |from )?which \w+|"
    r"^\s*what (company|firm|person|man|woman|team|club|country|city|player|singer|band|film|"
    r"group|party|judge|director|minister|president|operator|brand|state|nation)\b|"
    r"^\s*what (is|was|are|were) the names? of\b|^\s*what (is|was|are|were) (\S+ ){1,3}called\b"
)
_WANTS = [
    (kind, re.compile(p, re.I))
    for kind, p in (("date", _DATE_Q), ("number", _NUMBER_Q), ("name", _NAME_Q))
]


def wanted_type(question: str) -> str | None:
    for name, pattern in _WANTS:
        if pattern.search(question):
            return name
    return None


def offers_candidate(sentence: str, question: str, kind: str | None) -> bool:
    """True when the sentence holds a date/number/name of the wanted kind not in the question."""
    if kind is None:
        return True
    pattern = {"date": _DATE, "number": _NUMBER, "name": _NAME}[kind]
    asked = question.lower()
    said = CITATION.sub(" ", sentence)  # a citation marker is no number
    found = (m.group().strip() for m in pattern.finditer(said))
    return any(
        bare not in asked and bare not in _OPENERS
        for bare in (re.sub(r"['’]s$", "", f.lower()) for f in found)  # "Liverpool's"
    )
