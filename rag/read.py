"""Stage: read the short answer out of the context, before any model writes.

The reader (rag/reader.py) ranks every sentence of the passages the model would see and the
candidate spans of the asked-for kind in the best of them. When its pick is clear, the answer
is that span with its citation ("Steve Linford [1].") and the sentence it came from is the
evidence: short, grounded by construction (the span is the passage's own words), and no
generation is needed. When the pick is not clear, the question goes on to the model (or the
quoted evidence), as before."""

from __future__ import annotations

from collections.abc import Callable

from rag.passage import Passage
from rag.question import Question
from rag.reader import Reading, read
from rag.verify import Verdict

Embed = Callable[[list[str]], list[list[float]]]
# Kinds whose answer is a span the reader can tell apart; "other" (why/how) and yes/no
# questions go to the model or the quote.
SPAN_KINDS = frozenset(
    "person org place name money percent duration number ordinal date year".split()
)


def read_context(question: Question, context: list[Passage], embed: Embed | None) -> Reading:
    history = question.search_query.removesuffix(question.text).strip()
    return read(
        question.text, [p.text for p in context], embed, context=history, asked=question.asked
    )


def is_clear(reading: Reading, min_margin: float) -> bool:
    """A candidate of the asked-for kind, not taken from the question, ahead of the next by
    at least `min_margin` (calibrated on our tune split; see Settings.reader_margin)."""
    best = reading.answer
    if best is None or reading.asked not in SPAN_KINDS:
        return False
    features = reading.features
    return best.fit >= 1.0 and best.in_question == 0.0 and features["margin"] >= min_margin


def short_answer(reading: Reading) -> Verdict:
    """The span with its citation; its sentence is the evidence the app highlights."""
    assert reading.answer is not None
    n = reading.answer.passage + 1
    return Verdict(f"{reading.answer.text} [{n}].", [n], {n: [reading.answer.sentence]})
