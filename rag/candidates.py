"""Candidate spans: which short spans of a sentence could answer a question, and how well
each fits the kind it asks for (rag/asked.py).

The reader chooses among these spans instead of quoting a sentence: a person asking "Who is
the director of Spamhaus?" wants "Steve Linford", not the sentence around it. Extraction is
deliberately generous (recall first); choosing is the reader's job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.asked import SPAN_KINDS, names_a_role

_NUM_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|a dozen|dozens|hundreds|thousands|half)"
)
_NUM = rf"(?:\d[\d,]*(?:\.\d+)?|{_NUM_WORD}(?:[- ]{_NUM_WORD})?)"
_SCALE = r"(?:\s?(?:m|bn|k|tn|million|billion|trillion|thousand))"
MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)"
)
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = rf"(?:{_WEEKDAY}\s)?"
_TIME_UNIT = r"(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries)"
_UNIT = (
    r"(?:metres?|meters?|km|kilometres?|miles?|yards?|feet|ft|inches|kg|tonnes?|tons?|"
    r"megabits?|mbps|gb|mb|gigabytes?|megabytes?|people|users|points|goals|votes|seats|"
    r"jobs|staff|workers|homes|copies|units|films|games|medals|times)"
)
_CURRENCY = (
    r"(?:euros?|dollars?|pounds?|yen|yuan|francs?|rupees?|roubles?|rubles?|pesos?|baht|"
    r"rupiah|ringgit|rand|naira|shekels?|dinars?|dirhams?|riyals?|lira|zloty|kron[aeo]r?)"
)
_B = r"(?<![\w£$€¥.-])"  # a number starts a word: not the 4 in "Qatargas-4"

# Order matters: an earlier pattern wins when spans overlap ("£41m" is money, not a number).
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(p, re.I if kind not in ("date",) else 0))
    for kind, p in (
        (
            "date",
            rf"\b{_DAY}\d{{1,2}}(?:\s?-\s?\d{{1,2}}|\s(?:and|to)\s\d{{1,2}})?\s{MONTH}"
            rf"\b(?:,?\s\d{{4}})?|\b{MONTH}\s\d{{1,2}}(?:st|nd|rd|th)?(?:,\s\d{{4}})?\b|"
            rf"\b{MONTH}\s(?:\d{{4}})\b",
        ),
        (
            "money",
            rf"(?:US\$|\$|£|€|¥)\s?{_NUM}{_SCALE}?\b|"
            rf"{_B}{_NUM}{_SCALE}?\s?{_CURRENCY}\b|"
            # pence and cents: "a further 70p", "10 cents a share"
            rf"{_B}\d+(?:\.\d+)?(?:p|\s?(?:pence|cents?))\b",
        ),
        ("percent", rf"{_B}{_NUM}\s?(?:%|per\s?cent\b)"),
        ("duration", rf"{_B}{_NUM}(?:\s(?:to|or)\s{_NUM})?(?:-|\s){_TIME_UNIT}\b(?:-old)?"),
        ("year", r"(?<![\w£$€.,-])(?:1[5-9]\d\d|20\d\d)(?:/\d\d)?s?\b(?![,.]?\d)"),
        ("ordinal", rf"{_B}\d+(?:st|nd|rd|th)\b"),
        (
            "number",
            # a compound's number is whole: "a 2,700-strong audience" (not "2" and "700")
            rf"{_B}\d+-\d+\b|{_B}\d+(?:,\d{{3}})*(?:\.\d+)?{_SCALE}?"
            rf"(?:(?:-|\s){_UNIT}\b)?(?!\w)(?!-\d)|\b{_NUM}{_SCALE}?(?:(?:-|\s){_UNIT}\b)?\b",
        ),
    )
]

_CAP_WORD = r"[A-Z][\w'’&.-]*|[A-Z]{2,}|\d+(?:[A-Za-z]\w*)?"
_NAME = re.compile(
    rf"(?:{_CAP_WORD})(?:\s(?:(?:of|de|da|del|van|von|der|den|la|le|du|al|bin|&|the)\s){{0,2}}"
    rf"(?:{_CAP_WORD}))*"
)
# Capitalised only because they open a sentence or a title; never an answer on their own.
STOP_CAPS = frozenset(
    "the a an in on at it its he she his her they their this that these those we our but and "
    "as for after before when while if so then there here who what which how why mr mrs ms dr "
    "i you my me not no yes also however meanwhile last next one some many most all with from "
    "by to of into under over despite although because since until during among without "
    "within finally instead still now later earlier today yesterday recently currently "
    "previously indeed overall separately elsewhere initially eventually ultimately "
    "unfortunately fortunately furthermore moreover nevertheless thus therefore perhaps "
    "only even just already again once both each every such other another several".split()
)
MONTHS_DAYS = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str
    kind: str  # name | money | percent | duration | number | date | year


# How well a candidate of kind (columns) fits an asked kind (rows): 1 fits, 0 does not.
_NAMES = ("person", "org", "place", "name")
_FIT: dict[str, dict[str, float]] = {
    **{k: {"name": 1.0} for k in _NAMES},
    "money": {"money": 1.0, "number": 0.5},
    "percent": {"percent": 1.0, "number": 0.4, "money": 0.5},
    "duration": {"duration": 1.0, "number": 0.4, "year": 0.2},
    "number": {
        "number": 1.0,
        "money": 0.7,
        "percent": 0.7,
        "duration": 0.6,
        "year": 0.1,
        "ordinal": 0.2,
    },
    "ordinal": {"ordinal": 1.0, "number": 0.3},
    "date": {"date": 1.0, "year": 0.7},
    "year": {"year": 1.0, "date": 0.5},
    "other": {
        "name": 0.5,
        "number": 0.5,
        "money": 0.5,
        "percent": 0.5,
        "date": 0.5,
        "duration": 0.5,
        "year": 0.5,
        "ordinal": 0.3,
    },
}


def kind_fit(asked: str, span: Span) -> float:
    """1.0 when the candidate is of the asked kind, partial for near kinds, else 0. A person
    is asked for by 'who': a single word or an acronym ("ITV", "Mido") fits less well than a
    full name ("Claudia Rosencrantz")."""
    fit = _FIT.get(asked, {}).get(span.kind, 0.0)
    if asked == "person" and span.kind == "name" and not _PERSON_SHAPE.fullmatch(span.text):
        fit *= 0.6
    return fit


_PERSON_SHAPE = re.compile(r"(?:[A-Z][a-z'’.-]+|[A-Z]\.?)(?: (?:[A-Z][a-zA-Z'’.-]+|von|van|de))+")


# A bare figure right after a capitalised word inside a sentence names a model or a thing:
# "Nokia 3220", "Boeing 737", "Channel 4", "Apollo 11". Not after a month or a day ("May 5",
# "on Saturday 25 people ...").
_MODEL_NUMBER = re.compile(rf"(?<=[\w,;:)] )(?!(?:{MONTH}|{_WEEKDAY})\b)[A-Z][A-Za-z-]* \d+$")


def extract(sentence: str, common: frozenset[str] = frozenset()) -> list[Span]:
    """Every number, date and capitalised name in the sentence, without overlaps.

    common: words the passages also use in lower case ("using", "parents"); capitalised at
    the start of a sentence they are no name."""
    taken: list[Span] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            if kind == "number" and _MODEL_NUMBER.search(sentence, 0, m.end()):
                continue  # "Nokia 3220" is a phone's name (the name pattern takes it), not a count
            _add(taken, Span(m.start(), m.end(), m.group().strip(" ,.-"), kind))
    for m in _NAME.finditer(sentence):
        for span in _name_spans(sentence, m.start(), m.group()):
            _add(taken, _drop_opener(sentence, span, common))
    return sorted(taken, key=lambda s: s.start)


def _drop_opener(sentence: str, span: Span, common: frozenset[str]) -> Span:
    """Span without its first word when that word opens the sentence and is a common word."""
    first, _, rest = span.text.partition(" ")
    if sentence[: span.start].strip(" \"'“‘(") or first.lower() not in common:
        return span
    start = span.start + len(first) + 1
    return Span(start, start + len(rest), rest, span.kind) if rest else Span(0, 0, "", "name")


def _add(taken: list[Span], span: Span) -> None:
    if span.text and not any(s.start < span.end and span.start < s.end for s in taken):
        taken.append(span)


def _name_spans(sentence: str, start: int, text: str) -> list[Span]:
    """A capitalised run, minus a possessive, sentence-opening function words and month
    names; "Intel's Jeff Ravencraft" gives "Intel" and "Jeff Ravencraft"."""
    spans = []
    for piece in re.finditer(r"(?:[^’']|['’](?!s\b|\s))+", text):
        words = piece.group().split()
        offset = start + piece.start() + len(piece.group()) - len(piece.group().lstrip())
        if piece.start() > 0 and words and words[0] == "s":  # the s of a possessive
            offset += len(words.pop(0)) + 1
        while words and (_stop(words[0]) or words[0].lower().strip(".,") in MONTHS_DAYS):
            offset += len(words.pop(0)) + 1
        while words and (
            words[-1].lower() in _CONNECTORS or words[-1].lower().strip(".,") in MONTHS_DAYS
        ):
            words.pop()
        name = " ".join(words).strip(" ,.-’'")
        if len(name) > 1 and not name.isdigit():
            spans.append(Span(offset, offset + len(name), name, "name"))
    return spans


_CONNECTORS = frozenset("of de da del van von der den la le du al bin and & the".split())


def _stop(word: str) -> bool:
    """An opener like "The" or "However"; all-capital words ("AS Roma") are names."""
    if word.lower() in _CONNECTORS:
        return True
    return word.lower().strip(".,") in STOP_CAPS and not (word.isupper() and len(word) > 1)


_STOPWORDS = frozenset(
    "a an the of in on at to for from by with and or but is was were are be been being has "
    "have had do does did what which who whom whose when where why how many much long did "
    "this that these those it its he she his her they their them there as into about after "
    "before than then so if not no yes according said says say would could should will can "
    "per over under up down out more most also one".split()
)
WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")


def stem(word: str) -> str:
    """Crude prefix stem: 'elected', 'election' and 'elect' meet; cheap and language-blind."""
    w = re.sub(r"['’]s$", "", word.lower())
    return w[:5] if len(w) > 5 else w


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in WORD.findall(text) if w.lower() not in _STOPWORDS and len(w) > 1}


ACRONYM = "acronym:"  # marks the question's words written in capitals ("NAM") in its word set
_NAME_RUN = re.compile(r"(?:\b[A-Z][\w'’]*(?:-[A-Z][\w'’]*)*\s*){2,}")


def question_words(text: str) -> set[str]:
    """The words a question already says ("ITV's" rules out "ITV"), and the acronyms of its
    names: "Non-Aligned Movement" already says "NAM"."""
    words = {re.sub(r"['’]s?$", "", w.lower()) for w in WORD.findall(text)}
    words |= {f"{ACRONYM}{w.lower()}" for w in re.findall(r"\b[A-Z]{2,}\b", text)}
    for run in _NAME_RUN.findall(text):
        parts = re.split(r"[\s-]+", run.strip())
        words.add("".join(p[0] for p in parts if p).lower())
    return words


def lower_words(passages: Sequence[str]) -> frozenset[str]:
    """Words the passages write in lower case: not names when they open a sentence."""
    return frozenset(re.findall(r"\b[a-z][a-z'-]+\b", " ".join(passages)))


def in_question_share(text: str, asked_words: set[str]) -> float:
    """Share of the candidate's words that the question (or the conversation) already has."""
    words = [re.sub(r"['’]s?$", "", w.lower()) for w in WORD.findall(text)]
    initials = "".join(p[0] for p in re.split(r"[\s-]+", text) if p[:1].isupper()).lower()
    if len(words) > 1 and f"{ACRONYM}{initials}" in asked_words:
        return 1.0  # "Non-Aligned Movement" for a question that says "NAM" (not "no")
    return sum(w in asked_words for w in words) / len(words) if words else 1.0


def offers_asked(sentence: str, asked: str, asked_text: str, min_fit: float = 1.0) -> bool:
    """The sentence holds a span of the asked kind (by at least `min_fit`: 0.7 lets money
    answer a count) that `asked_text` (the question) does not already say. Kinds without
    such spans (why/how, yes/no) always pass, and so does "name", the guess for a bare
    "what" ("What did the mayor open?" is answered in lower case: "the new river bridge")."""
    if asked not in SPAN_KINDS or asked == "name":
        return True
    # any name may answer "who": a country ("Who took over the NAM chair?" "Uganda") too
    kind = "name" if asked == "person" else asked
    spans = new_spans(sentence, kind, question_words(asked_text))
    return any(fit >= min_fit for _, fit in spans)


def new_spans(
    sentence: str, asked: str, asked_words: set[str], common: frozenset[str] = frozenset()
) -> list[tuple[Span, float]]:
    """Spans of the sentence that could answer: (span, kind fit), question words excluded."""
    spans = (without_asked_title(span, asked_words) for span in extract(sentence, common))
    return [
        (span, kind_fit(asked, span))
        for span in spans
        if in_question_share(span.text, asked_words) < 1.0
    ]


def without_asked_title(span: Span, asked_words: set[str]) -> Span:
    """'MSP Karen Whitefield' -> 'Karen Whitefield' for 'Which MSP wants ...?': leading
    titles (a role word, an agent noun or a short acronym) that the question already says."""
    if span.kind != "name":
        return span
    words, cut = span.text.split(" "), 0
    for word in words[:-1]:
        bare = word.lower().strip(".,")
        # "Striker Mido" for "Which striker ...?": a role the question says, not a name
        title = names_a_role(bare) or (word.isupper() and len(word) <= 4)
        if not (title and bare in asked_words):
            break
        cut += len(word) + 1
    if cut == 0:
        return span
    return Span(span.start + cut, span.end, span.text[cut:], span.kind)
