"""A learned ranking of candidate answers: a logistic model over each candidate's signals,
fitted on our tune splits by scripts/fit_ranker.py (weights in rag/ranker.json).

The hand-set weights of rag/reader.py put the right span first for 0.67 of tune questions
with the gold article given, and mostly failed the same way: a capitalised word near the
question's words ("TV", "Mobiles", "US") beat a full name further on, and a number of the
wrong unit beat "60 films" for "how many films". These signals name those shapes, and the
fitted weights say how much each counts."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rag.candidates import WORD, Span, stem
from rag.nlp import LABEL_KIND

RANKER_FILE = Path(__file__).with_name("ranker.json")
KINDS = ("name", "money", "percent", "duration", "number", "date", "year", "ordinal")
_FULL_NAME = re.compile(r"(?:[A-Z][a-z'’.-]+|[A-Z]\.?)(?: (?:[A-Z][a-zA-Z'’.-]+|von|van|de))+")
_UNIT_ASKED = re.compile(r"\bhow (?:many|much)\s+([a-z]+)", re.I)


def asked_unit(question: str) -> str | None:
    """'How many films did they make?' -> 'films' (stemmed); the unit an answer counts."""
    m = _UNIT_ASKED.search(question)
    if not m or m.group(1).lower() in {"did", "does", "do", "was", "is", "were", "are", "of"}:
        return None
    return stem(m.group(1))


def unit_nearby(sentence: str, span: Span, unit: str | None) -> float:
    """1 when the asked unit is the candidate's own word or follows it within three words."""
    if unit is None:
        return 0.0
    after = WORD.findall(sentence[span.start : span.end + 40])[:4]
    return float(any(stem(w) == unit for w in after))


def candidate_signals(
    sentence: str,
    span: Span,
    *,
    fit: float,
    near: float,
    in_question: float,
    sentence_rank: int,
    sentence_score: float,
    mentions: int,
    unit: str | None,
    asked: str = "other",
    label: str | None = None,
) -> dict[str, float]:
    """The numbers a candidate is ranked by; all present for every candidate. label: the
    spaCy entity label over the span (rag/nlp.py), None where there is none."""
    words = span.text.split()
    opens = not sentence[: span.start].strip(" \"'“‘(")
    return {
        "sentence_score": sentence_score,
        "sentence_rank": float(sentence_rank),
        "fit": fit,
        "proximity": near,
        "in_question": in_question,
        "n_words": float(min(len(words), 5)),
        "full_name": float(bool(_FULL_NAME.fullmatch(span.text))),
        "acronym": float(span.text.isupper() and len(span.text) <= 5),
        "single_cap": float(len(words) == 1 and span.kind == "name"),
        "opens_sentence": float(opens),
        "mentions": float(min(mentions, 5)),
        "unit_match": unit_nearby(sentence, span, unit),
        "position": span.start / max(len(sentence), 1),
        **{f"kind_{k}": float(span.kind == k) for k in KINDS},
        **entity_signals(span, asked, label),
    }


def entity_signals(span: Span, asked: str, label: str | None) -> dict[str, float]:
    """Whether the entity under a name is of the asked kind: "Nicola Sturgeon" (PERSON) for
    "which law firm" clashes; "Basically" is capitalised but no entity at all."""
    of = LABEL_KIND.get(label or "")
    named = asked in ("person", "org", "place")
    return {
        "ner_match": float(named and of == asked),
        "ner_clash": float(named and of is not None and of != asked),
        "ner_none": float(span.kind == "name" and of is None),
        "ner_group": float(of == "group"),
        "ner_thing": float(of == "thing"),  # a product, work or event: often a misread name
    }


@dataclass(frozen=True)
class Ranker:
    weights: dict[str, float]
    bias: float

    def score(self, signals: dict[str, float]) -> float:
        """The logit: higher is likelier to be the answer."""
        return self.bias + sum(w * signals.get(k, 0.0) for k, w in self.weights.items())

    def probability(self, signals: dict[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.score(signals)))))


@cache
def load_ranker(path: Path = RANKER_FILE) -> Ranker | None:
    """The fitted ranker, or None where none was fitted (the hand weights then rank)."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Ranker(dict(data["weights"]), float(data["bias"]))
