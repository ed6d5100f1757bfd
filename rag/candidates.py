"""Answer kinds and candidate spans: what a question asks for, and which short spans of a
sentence could answer it.

The reader chooses among these spans instead of quoting a sentence: a person asking "Who is
the director of Spamhaus?" wants "Steve Linford", not the sentence around it. Extraction is
deliberately generous (recall first); choosing is the reader's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Fine kinds a question can ask for; candidates carry the coarser extraction kinds
# (name, money, percent, duration, number, date, year).
ASKED_KINDS = (
    "person",
    "org",
    "place",
    "name",
    "money",
    "percent",
    "duration",
    "number",
    "date",
    "year",
    "yesno",
    "choice",  # one of two options the question names ("consistent or inconsistent")
    "other",
)
TWO_WAY = frozenset({"yesno", "choice"})  # answered from the evidence's polarity
# Kinds whose answer is a span the reader can tell apart; "other" (why/how) and yes/no
# questions go to the model or the quote.
SPAN_KINDS = frozenset(
    "person org place name money percent duration number ordinal date year".split()
)

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
_DAY = r"(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\s)?"
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
            rf"{_B}{_NUM}{_SCALE}?\s?{_CURRENCY}\b",
        ),
        ("percent", rf"{_B}{_NUM}\s?(?:%|per\s?cent\b)"),
        ("duration", rf"{_B}{_NUM}(?:\s(?:to|or)\s{_NUM})?(?:-|\s){_TIME_UNIT}\b(?:-old)?"),
        ("year", r"(?<![\w£$€.,-])(?:1[5-9]\d\d|20\d\d)(?:/\d\d)?s?\b(?![,.]?\d)"),
        ("ordinal", rf"{_B}\d+(?:st|nd|rd|th)\b"),
        (
            "number",
            rf"{_B}\d+-\d+\b|{_B}\d[\d,]*(?:\.\d+)?{_SCALE}?"
            rf"(?:(?:-|\s){_UNIT}\b)?(?![\w-])|\b{_NUM}{_SCALE}?(?:(?:-|\s){_UNIT}\b)?\b",
        ),
    )
]

_CAP_WORD = r"[A-Z][\w'’&.-]*|[A-Z]{2,}|\d+[A-Za-z]*"
_NAME = re.compile(
    rf"(?:{_CAP_WORD})(?:\s(?:(?:of|de|da|del|van|von|der|den|la|le|du|al|bin|&|the)\s)?"
    rf"(?:{_CAP_WORD}))*"
)
# Capitalised only because they open a sentence or a title; never an answer on their own.
STOP_CAPS = frozenset(
    "the a an in on at it its he she his her they their this that these those we our but and "
    "as for after before when while if so then there here who what which how why mr mrs ms dr "
    "i you my me not no yes also however meanwhile last next one some many most all".split()
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


def _coarse_kind(question: str) -> str | None:
    from rag.answertype import wanted_type  # only when the caller has not parsed it already

    return wanted_type(question)


_AUX = r"(?:did|does|do|is|was|were|are|has|have|had|can|could|will|would|should)\b"
# A clause put before the question proper: "After X reported ..., did Y ...?", "Between the
# two reports, was there ...?". Not after a wh-word ("Considering X, which network, known
# for Y, did ...?" and "On what date, according to Z, did ...?" ask for a name and a date).
_WH = r"\b(?:who|whom|whose|what|which|when|where|why|how)\b"
# (a closing quote may follow the comma: "After X reported 'Y breaks the rules,' did Z ...?")
_FRONTED_AUX = re.compile(rf"^(?:(?!{_WH})[^?])*?,['\"’”]?\s*{_AUX}")
# Two named options ask to choose one of them, not yes or no: "consistent or inconsistent",
# "agree or disagree", "before or after". The answer is one of the two words.
_OPTION_PAIR = re.compile(
    r"\b(?:before or after|after or before|same or different|similar or different|"
    r"higher or lower|more or less|better or worse|increase or decrease|"
    r"(\w+) or (?:in|un|dis|non-?)\1)\b"
)
# A question that ends on named options ("Was it Nokia or Philips?") asks for a name. A
# trailing "or" between other words joins parts of one claim ("... a team leading at the end
# of a quarter or total points scored?") or claims ("..., or does the other say ...?"), and
# "... or not?" asks yes or no: those stay yes/no questions.
_NAMED_OPTIONS = re.compile(r"\b[A-Z][\w'’.-]*,? or (?!not\b)[A-Z][\w'’.-]*(?:\s+\S+){0,2}\?$")


# "How much gold does the IMF hold?" asks for a quantity ("3,217 tonnes"), not money: "how
# much" before a noun that is not money's. Verbs and function words ("how much did", "how much
# of that", "how much in bonuses") and money's nouns ("how much company money") leave money.
_MONEY_NOUNS = (
    r"money|cash|funds?|funding|revenue|profits?|debts?|tax|taxes|compensation|income|capital|"
    r"investment|spending|budget|salary|pay|prize|fines?|damages|aid|loss|losses|sales|turnover|"
    r"subsidy|bonus|bonuses|price|cost|rent|fees?|dividends?|savings|value|earnings|wealth|"
    r"deficit|surplus"
)
# "How big was the budget deficit?" asks for money, as "How much ...?" does
_HOW_BIG_MONEY = re.compile(
    rf"\bhow (?:big|large|high|small|low)\b[^?]{{0,50}}?\b(?:{_MONEY_NOUNS})\b"
)
# "What is the date of ...", "What was Tesla's revenue": the noun after a copula and article
_BE_THE = r"(?:(?:is|was|were|are|will be) (?:the |its |their |[\w'’-]+['’]s )?)?"
_NOT_STUFF = frozenset(
    "did does do is was were are has have had can could will would should of in from per a an "
    "the more less new extra total each it he she they we you that this".split()
)
_HOW_MUCH = re.compile(r"\bhow much ([a-z]+)(?:\s+([a-z]+))?")


def asks_quantity(question: str) -> bool:
    """'How much gold ...?', not 'How much did ...?' or 'How much company money ...?'."""
    found = _HOW_MUCH.search(question.lower())
    if found is None:
        return False
    noun, after = found.group(1), found.group(2) or ""
    money = re.compile(rf"(?:{_MONEY_NOUNS})")
    return noun not in _NOT_STUFF and not money.fullmatch(noun) and not money.fullmatch(after)


def choice_options(question: str) -> tuple[str, str] | None:
    """The two options of a yes/no-shaped question that names them: ("consistent",
    "inconsistent") for "... remained consistent or inconsistent?"."""
    if not asks_yes_no(question):
        return None
    found = _OPTION_PAIR.search(question.lower())
    if found is None:
        return None
    first, second = found.group(0).split(" or ")
    return first, second


def asks_yes_no(question: str) -> bool:
    """Its main clause opens with an auxiliary verb, at the start or after a fronted clause."""
    q = question.strip().lower()
    return bool(re.match(_AUX, q) or _FRONTED_AUX.match(q))


def asked_kind(question: str, coarse: str | None = None) -> str:
    """The fine kind a question wants; 'other' when nothing tells. `coarse`: the question's
    parsed kind (rag.question), which the fine rules fall back on."""
    q = question.strip().lower()
    if asks_yes_no(q):
        if choice_options(q):
            return "choice"
        return "other" if _NAMED_OPTIONS.search(question.strip()) else "yesno"
    rules = (
        (rf"\b(what|which) {_BE_THE}year\b", "year"),
        (rf"^when\b|\b(what|which) {_BE_THE}(date|day|weekend|month)\b", "date"),
        (r"\b(which|what) (number|position|place in)\b", "ordinal"),
        (
            r"\bhow long\b|\bover what period\b|\bhow many (years|months|weeks|days|hours)\b",
            "duration",
        ),
        (
            r"\b(what|which) (percentage|share|proportion)\b|\bby how much\b|\bwhat rate\b",
            "percent",
        ),
        (r"\bhow much\b|\bat what price\b|\b(what|which) (price|fee|fine|cost)\b", "money"),
        # "What was Tesla's revenue in Q1 2021?": the head noun is money's
        (rf"^(what|which) {_BE_THE}(?:[\w'’-]+ ){{0,2}}(?:{_MONEY_NOUNS})\b", "money"),
        (
            r"\bhow (many|old|far|big|large|tall|fast|high)\b|\b(what|which) (range|age|size|"
            r"number of|distance|score)\b|\baverage (age|number)\b",
            "number",
        ),
        (
            r"^(who|whom|whose)\b|\b(which|what) (\w+ )?(man|woman|person|player|director|judge|"
            r"actor|actress|singer|minister|strategist|researcher|jeweller|chief|executive|"
            r"member|referee|coach|manager|lawyer|sprinter|striker|politician|mp|writer|author|"
            r"designer|officer|constable|boss|founder|spokesman|spokeswoman)s?\b",
            "person",
        ),
        (
            r"^where\b|\b(which|what) (\w+ )?(city|country|town|stadium|village|venue|state|"
            r"county|region|ground|island|capital|consulate|embassy)\b",
            "place",
        ),
        (
            r"\b(which|what) (\w+ )?(company|firm|organisation|organization|group|club|team|"
            r"brand|bank|party|channel|network|broadcaster|maker|agency|body|union|"
            r"retailer|airline|carrier|operator|publisher|studio|label)\b",
            "org",
        ),
    )
    if asks_quantity(q):
        return "number"
    if _HOW_BIG_MONEY.search(q):
        return "money"
    for pattern, kind in rules:
        if re.search(pattern, q):
            return kind
    coarse = coarse or _coarse_kind(question)
    if coarse == "date":
        return "date"
    if coarse == "number":
        return "number"
    return "name" if coarse == "name" or re.match(r"(which|what)\b", q) else "other"


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
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MODEL_NUMBER = re.compile(rf"(?<=[\w,;:)] )(?!(?:{MONTH}|{_WEEKDAY})\b)[A-Z][A-Za-z-]* \d+$")


def extract(sentence: str, common: frozenset[str] = frozenset()) -> list[Span]:
    """Every number, date and capitalised name in the sentence, without overlaps.

    common: words the passages also use in lower case ("using", "parents"); capitalised at
    the start of a sentence they are no name."""
    taken: list[Span] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            if kind == "number" and _MODEL_NUMBER.search(sentence[: m.start()] + m.group()):
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
