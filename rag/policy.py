"""Stage: the answer policy. Which of the two answers to show, or to refuse, decided by two
small logistic models fitted on our tune split (scripts/fit_policy.py writes rag/policy.json).

After verification there are two candidate answers: the verified text (the model's checked
sentence, or the quoted evidence) and the reader's short span. Hand-written rules decided
between them before ("show the span when the two agree"); here each gets a calibrated
probability of holding the answer, from the signals below, and the answer shown is the more
likely one, unless neither reaches the threshold: then the articles are taken not to say.
The threshold was picked on tune for few false refusals (see fit_policy.py's table)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.answer import REFUSAL
from rag.read import SPAN_KINDS, agrees, short_answer
from rag.verify import Verdict

if TYPE_CHECKING:
    from rag.reader import Reading
    from rag.state import State

POLICY_FILE = Path(__file__).with_name("policy.json")
READER_SIGNALS = (
    "sent_score sent_cosine sent_overlap answer_sent_overlap answer_sent_cosine cand_score "
    "margin kind_fit in_question n_fitting pick_tree_near pick_proximity pick_unit_match "
    "pick_ner_match pick_subject_asked"
).split()


def signals(state: State, reading: Reading | None) -> dict[str, float]:
    """Everything the policy may weigh, all numbers, present whatever the outcome."""
    verdict = state.verdict
    said = verdict.text if verdict and not verdict.refused else ""
    scores = sorted((p.score for p in state.selected), reverse=True) or [0.0]
    feats = dict.fromkeys(READER_SIGNALS, 0.0)
    if reading is not None:
        feats |= {k: float(reading.features.get(k, 0.0)) for k in READER_SIGNALS}
    pick = reading.answer.text.lower() if reading and reading.answer else None
    return feats | {
        "span_kind": float(reading is not None and reading.asked in SPAN_KINDS),
        "has_pick": float(pick is not None),
        "best_passage": scores[0],
        "passage_gap": scores[0] - (scores[1] if len(scores) > 1 else 0.0),
        "verdict_refused": float(not said),
        "verdict_quote": float(said.startswith("“")),
        "verdict_words": min(len(said.split()), 60) / 60,
        "pick_in_verdict": float(pick is not None and pick in " ".join(said.lower().split())),
        "agrees": float(
            reading is not None and verdict is not None and agrees(reading, verdict, 0.0)
        ),
    }


@dataclass(frozen=True)
class Logistic:
    weights: dict[str, float]
    bias: float

    def probability(self, feats: dict[str, float]) -> float:
        z = self.bias + sum(w * feats.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Choice:
    shown: str  # "span" | "verified" | "refuse"
    p_span: float
    p_verified: float


@dataclass(frozen=True)
class Policy:
    span: Logistic  # P(the reader's span holds the answer)
    verified: Logistic  # P(the verified answer holds it)
    threshold: float  # below this for both: refuse
    # P(the span holds it) from the reading alone, before any model writes: at or above
    # `sure` the span is shown at once and the model is not run (most of the latency)
    alone: Logistic | None = None
    sure: float = 2.0  # above any probability: never skip
    # when verification kept nothing (the model's answer unsupported, no quote found), the
    # span alone must reach this: a near-miss article fools the reader more than both
    unverified: float = 0.0

    def skips_model(self, feats: dict[str, float]) -> Choice | None:
        """The span, chosen before generating, when the reading alone is sure enough."""
        if self.alone is None or not feats["has_pick"] or not feats["span_kind"]:
            return None
        p_alone = self.alone.probability(feats)
        return Choice("span", p_alone, 0.0) if p_alone >= self.sure else None

    def choose(self, feats: dict[str, float]) -> Choice:
        p_span = self.span.probability(feats) if feats["has_pick"] else 0.0
        p_verified = 0.0 if feats["verdict_refused"] else self.verified.probability(feats)
        if max(p_span, p_verified) < self.threshold:
            return Choice("refuse", p_span, p_verified)
        if feats["verdict_refused"] and p_span < self.unverified:
            return Choice("refuse", p_span, p_verified)
        return Choice("span" if p_span >= p_verified else "verified", p_span, p_verified)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        return cls(
            span=Logistic(dict(data["span"]["weights"]), float(data["span"]["bias"])),
            verified=Logistic(dict(data["verified"]["weights"]), float(data["verified"]["bias"])),
            threshold=float(data["threshold"]),
            alone=Logistic(dict(data["alone"]["weights"]), float(data["alone"]["bias"]))
            if "alone" in data
            else None,
            sure=float(data.get("sure", 2.0)),
            unverified=float(data.get("unverified", 0.0)),
        )


@cache
def load_policy(path: Path = POLICY_FILE) -> Policy:
    return Policy.from_dict(json.loads(path.read_text(encoding="utf-8")))


def read_first(state: State, reading: Reading, policy: Policy) -> Choice | None:
    """Before the model writes: the span when the reading alone makes it sure."""
    return policy.skips_model(signals(state, reading))


def apply_policy(state: State, policy: Policy) -> tuple[Verdict, Choice]:
    """The verdict to show, by the policy's choice, and the choice with its probabilities."""
    assert state.verdict is not None
    reading = state.reading
    choice = policy.choose(signals(state, reading))
    if choice.shown == "span" and reading is not None and reading.answer is not None:
        return short_answer(reading), choice
    if choice.shown == "verified":
        return state.verdict, choice
    return Verdict(REFUSAL, [], refused=True), choice
