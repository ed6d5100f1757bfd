"""The numbers behind a reading, for a refusal gate and for calibration (scripts/tune_reader.py):
how well the best sentence matches, how far the pick leads, whether it fits the asked kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.reader import Candidate, Evidence


def features(
    sentences: Sequence[Evidence], candidates: Sequence[Candidate], question: str
) -> dict[str, float]:
    """Numbers for a refusal gate; all present whatever the outcome."""
    top = sentences[0] if sentences else None
    first = candidates[0] if candidates else None
    second = candidates[1] if len(candidates) > 1 else None
    answer_sentence = next((s for s in sentences if first and s.text == first.sentence), None)
    return {
        "sent_score": top.score if top else 0.0,
        "sent_cosine": top.cosine if top else 0.0,
        "sent_overlap": top.overlap if top else 0.0,
        "answer_sent_overlap": answer_sentence.overlap if answer_sentence else 0.0,
        "answer_sent_cosine": answer_sentence.cosine if answer_sentence else 0.0,
        "cand_score": first.score if first else 0.0,
        "margin": (first.score - second.score) if first and second else 1.0 if first else 0.0,
        "kind_fit": first.fit if first else 0.0,
        "in_question": first.in_question if first else 1.0,
        "llr": first.llr if first else 0.0,
        "llr_margin": (first.llr - second.llr) if first and second else 0.0,
        "n_candidates": float(len(candidates)),
        "n_fitting": float(sum(c.fit >= 1.0 for c in candidates)),
        # how the pick hangs on the question's words: a near-miss article holds a name or
        # figure of the asked kind, but not next to (or governed by) what was asked
        **{f"pick_{k}": first.signals.get(k, 0.0) if first else 0.0 for k in PICK_SIGNALS},
    }


PICK_SIGNALS = ("tree_near", "proximity", "unit_match", "ner_match", "subject_asked")
