"""Stage: read the short answer out of the context, once the verified answer is known.

The reader (rag/reader.py) ranks every sentence of the passages the model saw and the candidate
spans of the asked-for kind in the best of them. When its pick is clear and the verified answer
(the model's checked sentence, or the quoted evidence) says the same, the answer becomes that
span with its citation ("Steve Linford [1].") and the sentence it came from is the evidence:
short, and grounded by construction (the span is the passage's own words). When the two
disagree, the verified answer stands, unless the pick leads every other candidate by far and
the verified answer is the model's own sentence (`overrules`).

Why agreement, not the reader alone: answering with the reader's pick whenever it was clear
scored answer_contains 0.585 against 0.488 on our tune split, but 0.500 against 0.529 on the
test split and 0.500 against 0.647 on the shared dev set, and it answered near-miss questions
the old path refused: its rules (fitted by hand on tune) pick the wrong span of the right
sentence too often ("one" for a head count, a capitalised word for a city). Two readers that
agree are right far more often than either alone."""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.asked import SPAN_KINDS, TITLES
from rag.candidates import MONTHS_DAYS, STOP_CAPS
from rag.passage import Passage
from rag.question import Question
from rag.reader import Reading, read
from rag.text import STOPWORDS
from rag.verify import LONG_QUESTION, Verdict

Embed = Callable[[list[str]], list[list[float]]]


def read_context(question: Question, context: list[Passage], embed: Embed | None) -> Reading:
    history = question.search_query.removesuffix(question.text).strip()
    return read(
        question.text, [p.text for p in context], embed, context=history, asked=question.asked
    )


def is_clear(reading: Reading, min_margin: float) -> bool:
    """A candidate of the asked-for kind, not taken from the question (a person sharing only
    a first name with one it names is new), ahead of the next by at least `min_margin`
    (calibrated on our tune split; see Settings.reader_margin)."""
    best = reading.answer
    if best is None or reading.asked not in SPAN_KINDS:
        return False
    features = reading.features
    new = best.in_question == 0.0 or best.signals.get("new_surname", 0.0) == 1.0
    return best.fit >= 1.0 and new and features["margin"] >= min_margin


def agrees(reading: Reading, verdict: Verdict, min_margin: float, by_surname: bool = False) -> bool:
    """The reader's clear pick, and no other candidate of the asked kind, appears in the
    verified answer's own words (`by_surname`: a person's surname alone counts, as news
    writes "Bankman-Fried" after the first "Sam Bankman-Fried")."""
    if not is_clear(reading, min_margin) or reading.answer is None or verdict.refused:
        return False
    said = " ".join(verdict.text.lower().split())
    pick = " ".join(reading.answer.text.lower().split())
    surname = pick.split()[-1]
    named = by_surname and reading.asked == "person" and len(surname) > 3
    if pick not in said and not (named and re.search(rf"\b{re.escape(surname)}\b", said)):
        return False
    # the verified answer also says another fitting candidate ("109,000 people in more than
    # 120 countries"): it does not tell which one answers, so the two do not agree on one
    # Not even a far-clearer pick: letting one shorten a quote that names another fitting
    # candidate gave 4 right short answers on tune, but on MultiHop-RAG it turned 11 quotes
    # naming Google ("... Helena World Chronicle, argues that Google ...") into the publisher.
    rivals = [c for c in reading.candidates[1:] if c.fit >= 1.0 and c.text.lower() in said]
    return not rivals


def overrules(reading: Reading, verdict: Verdict, min_margin: float | None) -> bool:
    """The reader's pick is so far ahead of every other candidate (`min_margin`) that it
    stands even where the model's verified sentence says something else: the bundled model's
    fluent sentence often passes verification with a name taken from the wrong clause
    ("Michael Howard said Labour was right ..." where the passage's answer is Mark Oaten).

    Only against the model's sentence. A quote is already the reader's own choice of
    sentence, so overruling it is no second opinion, and on MultiHop-RAG it replaced 20 quotes
    that named the answer ("... accuses Google of ...") with a wrong clear pick ("Helena World
    Chronicle", the publisher suing). Never against a refusal: the reader does not decide
    whether the articles answer at all."""
    if min_margin is None or verdict.refused or verdict.quoted:
        return False
    return is_clear(reading, min_margin)


# A quote answering a question that asks for a name, number or date stands only when the
# reader finds, among the context's candidates of that kind, one it rates at least this high
# (rag/ranker.py's score). Under it the quote is on the topic, but nothing in the context
# answers that the reader can name: a guess. Chosen on the three tune splits' signal dumps
# (scripts/dump_signals.py): of 100 quotes, the 6 under 0.5 were 3 wrong answers and 3 near
# misses, no right one (under 1.0 also took 4 right ones); checked on test, test-b and dev:
# 2 wrong and 2 near misses, no right one; on tune-c, written after the rule: 2 wrong and 1
# right; on RGB: 4 wrong, 4 near misses and 2 right; on MultiHop-RAG no answer changed.
MIN_QUOTE_PICK = 0.5


def unbacked_quote(reading: Reading, verdict: Verdict, question: Question) -> bool:
    """A quote for a name, number or date that no candidate the reader rates backs (the
    pipeline refuses it when a model wrote and failed; without a model, see chain). Not for
    a long question, whose words mostly say which article to read (rag.verify.LONG_QUESTION):
    its right quotes share few of them, and the reader ranks their candidates low."""
    if not verdict.quoted or verdict.refused or reading.asked not in SPAN_KINDS:
        return False
    if len(question.topic) > LONG_QUESTION:
        return False
    best = reading.answer
    return best is None or best.score < MIN_QUOTE_PICK


def short_answer(reading: Reading, context: list[Passage] | None = None) -> Verdict:
    """The span with its citation; its sentence is the evidence the app highlights. A
    person named by surname alone is given the full name its passage writes (`context`)."""
    assert reading.answer is not None
    n = reading.answer.passage + 1
    said = reading.answer.text
    if context is not None and reading.asked == "person" and n <= len(context):
        said = full_name(said, context[n - 1].text)
    return Verdict(f"{said} [{n}].", [n], {n: [reading.answer.sentence]})


# Capitalised words before a surname that are not a first name ("Mr Altman", "When Altman").
_NOT_FIRST_NAMES = STOP_CAPS | STOPWORDS | MONTHS_DAYS | TITLES


def full_name(name: str, passage: str) -> str:
    """'Bankman-Fried' -> 'Sam Bankman-Fried' when the passage writes the latter (its most
    frequent first name wins); a name of two or more words is kept as it is."""
    if " " in name.strip() or not name[:1].isupper():
        return name
    firsts = re.findall(rf"\b([A-Z][a-z][\w'’-]*) {re.escape(name)}\b", passage)
    firsts = [
        f for f in firsts if f.lower() not in _NOT_FIRST_NAMES and not f.endswith(("'s", "’s"))
    ]
    if not firsts:
        return name
    return f"{max(set(firsts), key=firsts.count)} {name}"


def yes_no(reading: Reading, verdict: Verdict) -> Verdict:
    """A yes/no question gets "Yes." or "No." first, then what it rests on: the verified
    answer, or else the best evidence sentence quoted. The decision is the reader's
    (rag.reader.decide_yes_no: does the best evidence sentence negate the claim), which is
    weak; the evidence shown lets the reader of the answer judge it."""
    assert reading.answer is not None
    said = reading.answer.text.capitalize()
    if not verdict.refused:
        return Verdict(f"{said}. {verdict.text}", verdict.cited, verdict.evidence)
    best = reading.sentences[0]
    n = best.passage + 1
    return Verdict(f"{said}: “{best.text}” [{n}]", [n], {n: [best.text]})
