"""What a question asks for: the fine answer kind ("person", "money", "date", ...), whether it
asks yes or no, or names two options to choose between.

The reader extracts candidate spans of this kind (rag/candidates.py) and the quote must hold
one (rag/verify.py). The rules read the question's wording only; a kind they cannot tell
falls back on the coarse kind rag.answertype parses.
"""

from __future__ import annotations

import re

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

# Titles and roles news writes before a name ("MSP Karen Whitefield", "Chancellor Gordon
# Brown"); when the question already says the role ("Which MSP ...?"), the answer is the name.
# Before a surname they are no first name ("Chancellor Brown": rag/read.py::full_name).
TITLES = frozenset(
    "mr mrs ms dr sir lord lady dame president prime minister chancellor secretary senator "
    "governor judge coach manager captain chairman chairwoman chair director spokesman "
    "spokeswoman leader chief executive founder boss editor presenter professor king queen "
    "prince".split()
)
# Nouns ending like an agent's ("-er", "-or") that name no role at all.
_NOT_AGENTS = frozenset(
    "order number letter paper computer matter chapter quarter border power water offer "
    "transfer weather river tower cancer corner summer winter centre center character "
    "sector error factor motor mirror".split()
)
# Agent nouns that in business news name firms ("the European plane maker", "the retailer"):
# roles written before a name ("Brewer Interbrew"), but not people.
_FIRMS = frozenset(
    "retailer broadcaster carrier insurer lender brewer manufacturer supplier operator "
    "provider distributor exporter importer".split()
)


def names_a_role(noun: str | None) -> bool:
    """A noun news writes before a name as its role: the titles above and agent nouns
    ('striker', 'chancellor', 'brewer'); not 'tournament' or 'order'."""
    if noun is None or noun in _NOT_AGENTS:
        return False
    return noun in TITLES or re.search(r"(?:er|or|ist|ess)$", noun) is not None


def names_a_person(noun: str | None) -> bool:
    """A role held by a person: 'striker', 'sprinter', 'actor', 'chancellor'; not a firm's
    ('retailer', 'plane maker', 'carmaker')."""
    firm = noun is not None and (noun in _FIRMS or noun.endswith("maker"))
    return names_a_role(noun) and not firm


# Kinds whose answer is a span the reader can tell apart; "other" (why/how) and yes/no
# questions go to the model or the quote.
SPAN_KINDS = frozenset(
    "person org place name money percent duration number ordinal date year".split()
)


def _coarse_kind(question: str) -> str | None:
    from rag.answertype import wanted_type  # only when the caller has not parsed it already

    return wanted_type(question)


_AUX_WORDS = "did does do is was were are has have had can could will would should".split()
_AUX = rf"(?:{'|'.join(_AUX_WORDS)})\b"
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
    r"investment|spending|budget|salary|pay|prize|rewards?|ransom|fines?|damages|aid|loss|losses|"
    r"sales|turnover|"
    r"subsidy|bonus|bonuses|price|cost|rent|fees?|dividends?|savings|value|earnings|wealth|"
    r"deficit|surplus"
)
# "How big was the budget deficit?" asks for money, as "How much ...?" does
_HOW_BIG_MONEY = re.compile(
    rf"\bhow (?:big|large|high|small|low)\b[^?]{{0,50}}?\b(?:{_MONEY_NOUNS})\b"
)
# "What is the date of ...", "What was Tesla's revenue": the noun after a copula and article
_BE_THE = r"(?:(?:is|was|were|are|will be) (?:the |its |their |[\w'’-]+['’]s )?)?"
_NOT_STUFF = frozenset(_AUX_WORDS) | frozenset(
    "of in from per a an the more less new extra total each it he she they we you that this".split()
)
_MONEY_NOUN = re.compile(rf"(?:{_MONEY_NOUNS})")
_HOW_MUCH = re.compile(r"\bhow much ([a-z]+)(?:\s+([a-z]+))?")


def asks_quantity(question: str) -> bool:
    """'How much gold ...?', not 'How much did ...?' or 'How much company money ...?'."""
    found = _HOW_MUCH.search(question.lower())
    if found is None:
        return False
    noun, after = found.group(1), found.group(2) or ""
    money = _MONEY_NOUN.fullmatch
    return noun not in _NOT_STUFF and not money(noun) and not money(after)


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
