"""Evidence: how well a passage sentence answers the question, and the extractive answer (the
best such sentence, quoted) used when there is no model or its answer did not survive checks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answertype import offers_candidate
from rag.passage import Passage
from rag.question import Question
from rag.text import stems

# What a sentence asserts that can be checked: numbers, dates and capitalised names.
NAME_OR_NUMBER = re.compile(r"\b(?:\d[\d,.:%-]*\d|\d|[A-Z][\w'’-]+)")


def evidence_score(
    sentence: str, question: Question, sentence_stems: frozenset[str] | None = None
) -> float:
    """Shared content words, plus the question's own figures, plus an answer of the asked-for
    kind (a sentence on topic but without a candidate answer is the classic distractor)."""
    said = stems(sentence) if sentence_stems is None else sentence_stems
    overlap = len(question.topic & said)
    figures = sum(1 for n in question.figures if n in sentence)
    candidate = offers_candidate(sentence, question.text, question.kind)
    return overlap + 2 * figures + (1.5 if candidate else 0)


def best_sentence_score(sentences: list[str], question: Question) -> float:
    return max((evidence_score(s, question) for s in sentences), default=0)


@dataclass(frozen=True)
class Extract:
    """The sentence quoted as the answer, and the number of the passage it comes from."""

    sentence: str
    n: int

    @property
    def text(self) -> str:
        return f"“{self.sentence}” [{self.n}]"


def extractive_answer(question: Question, passages: list[Passage]) -> Extract | None:
    """The passage sentence that best answers the question by `evidence_score`; None when no
    sentence shares a content word with the question."""
    best: tuple[float, Extract | None] = (0.0, None)
    for n, passage in enumerate(passages, start=1):
        for sentence in passage.clean_sentences:
            said = stems(sentence)
            if not question.topic & said:
                continue
            score = evidence_score(sentence, question, said)
            if score > best[0]:
                best = (score, Extract(sentence, n))
    return best[1]
