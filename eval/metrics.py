"""The scoring rules of ../shared/eval-format.md as small pure functions.

Answer metrics take the answer text and the gold answers; ranking metrics take the ranked list
of distinct doc ids and the set of relevant ones. Each is tested on hand-worked examples.
"""

from __future__ import annotations

import math
import string
from collections import Counter
from collections.abc import Iterable, Sequence

from rag.text import CITATION

_PUNCTUATION = set(string.punctuation) | {"“", "”", "‘", "’", "–", "—"}
_ARTICLES = {"a", "an", "the"}


def normalise(text: str) -> str:
    """SQuAD normalisation: lowercase, no punctuation, no a/an/the, single spaces."""
    text = "".join(c for c in text.lower() if c not in _PUNCTUATION)
    return " ".join(w for w in text.split() if w not in _ARTICLES)


def answer_text(shown: str) -> str:
    """The answer as scored: citation markers like [1] are not part of what it says."""
    return CITATION.sub(" ", shown)


def answer_contains(answer: str, golds: Sequence[str]) -> float:
    """1.0 when some normalised gold answer is a substring of the normalised answer (the
    shared eval format's definition; see answer_words for the stricter reading)."""
    said = normalise(answer_text(answer))
    return float(any(normalise(g) and normalise(g) in said for g in golds))


def answer_words(answer: str, golds: Sequence[str]) -> float:
    """answer_contains on whole words: a gold "no" is not found in "not" or "economy", nor
    "10" in "2010"; a yes/no gold is judged by the answer's first word. (The substring test
    credited 14 false hits among 16 on MultiHop-RAG's yes/no questions.)"""
    said = f" {normalise(answer_text(answer))} "
    return float(any(_holds(said, normalise(g)) for g in golds))


def _holds(said: str, gold: str) -> bool:
    if gold in ("yes", "no"):  # a yes/no answer says so first; a later "no" is not the verdict
        return said.split()[:1] == [gold]
    return bool(gold) and f" {gold} " in said


def exact_match(answer: str, golds: Sequence[str]) -> float:
    said = normalise(answer_text(answer))
    return float(any(normalise(g) == said for g in golds))


def token_f1(answer: str, golds: Sequence[str]) -> float:
    """SQuAD token F1, best over the gold answers."""
    said = normalise(answer_text(answer)).split()
    return max((_f1(said, normalise(g).split()) for g in golds), default=0.0)


def _f1(predicted: list[str], gold: list[str]) -> float:
    common = sum((Counter(predicted) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def distinct(doc_ids: Iterable[str]) -> list[str]:
    """Articles in the order their first chunk was returned."""
    return list(dict.fromkeys(doc_ids))


def hit_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return float(any(d in relevant for d in ranked[:k]))


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def precision_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """trec_eval's P@k: the cut-off k is the denominator even when fewer were returned."""
    return sum(d in relevant for d in ranked[:k]) / k


def reciprocal_rank(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    for rank, doc_id in enumerate(ranked[:k], start=1):
        if doc_id in relevant:
            return 1.0 / rank
    return 0.0


def average_precision(ranked: Sequence[str], relevant: set[str]) -> float:
    """Mean of the precision at each relevant document's rank, over all relevant documents."""
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for rank, doc_id in enumerate(ranked, start=1):
        if doc_id in relevant:
            found += 1
            total += found / rank
    return total / len(relevant)


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Binary-relevance nDCG with the log2(rank + 1) discount."""
    dcg = sum(1 / math.log2(r + 1) for r, d in enumerate(ranked[:k], start=1) if d in relevant)
    ideal = sum(1 / math.log2(r + 1) for r in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal if ideal else 0.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def mean(values: Sequence[float]) -> float | None:
    """The average, or None when no case could be scored (as the format asks)."""
    return sum(values) / len(values) if values else None
