"""The learned candidate ranker: its signals on hand-written sentences, its arithmetic, and
that the fitted weights put the answer first where the hand weights did not."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from rag.candidates import extract
from rag.ranker import Ranker, asked_unit, candidate_signals, load_ranker, unit_nearby
from rag.reader import Evidence, rank_candidates


def span_of(sentence: str, text: str):  # type: ignore[no-untyped-def]
    return next(s for s in extract(sentence) if s.text == text)


def test_the_unit_a_question_counts_is_found_next_to_a_number() -> None:
    assert asked_unit("How many films did the villagers make?") == "films"
    assert asked_unit("How much money did it raise?") == "money"
    assert asked_unit("How many did they sell?") is None
    sentence = "The villagers made 60 films, watched by 8,000 viewers."
    assert unit_nearby(sentence, span_of(sentence, "60 films"), "films") == 1.0
    assert unit_nearby(sentence, span_of(sentence, "8,000"), "films") == 0.0
    assert unit_nearby(sentence, span_of(sentence, "8,000"), None) == 0.0


def test_signals_name_the_shapes_of_a_candidate() -> None:
    sentence = "TV chef Jamie Oliver said the US ban would follow."

    def signals(text: str) -> dict[str, float]:
        return candidate_signals(
            sentence,
            span_of(sentence, text),
            fit=1.0,
            near=0.5,
            in_question=0.0,
            sentence_rank=1,
            sentence_score=2.0,
            mentions=7,
            unit=None,
        )

    name, us = signals("Jamie Oliver"), signals("US")
    assert name["full_name"] == 1.0 and name["single_cap"] == 0.0 and name["n_words"] == 2.0
    assert us["acronym"] == 1.0 and us["single_cap"] == 1.0 and us["full_name"] == 0.0
    assert name["kind_name"] == 1.0 and name["kind_money"] == 0.0
    assert name["mentions"] == 5.0  # capped
    assert signals("TV")["opens_sentence"] == 1.0 and name["opens_sentence"] == 0.0


def test_the_ranker_scores_by_its_weighted_sum() -> None:
    ranker = Ranker({"full_name": 2.0, "acronym": -1.5}, bias=-0.5)
    assert ranker.score({"full_name": 1.0}) == pytest.approx(1.5)
    assert ranker.probability({"acronym": 1.0}) == pytest.approx(1 / (1 + math.exp(2.0)))


def test_no_fitted_file_means_the_hand_weights(tmp_path: Path) -> None:
    assert load_ranker(tmp_path / "absent.json") is None


def test_the_fitted_ranker_prefers_the_counted_unit_and_a_full_name() -> None:
    assert load_ranker() is not None, "rag/ranker.json is fitted by scripts/fit_ranker.py"
    counted = Evidence("They made 60 films and sold 8,000 tickets.", 0, 1.0, 0.5, 0.5)
    question = "How many films did they make?"
    assert rank_candidates(question, [counted])[0].text == "60 films"
    assert rank_candidates(question, [counted], ranker=None)[0].text == "8,000"  # by hand
    judge = "TV pictures showed Judge Susan Illston postponing the Balco hearing."
    ranked = rank_candidates("Which US judge postponed the Balco hearing?", [judge_ev(judge)])
    assert ranked[0].text.endswith("Susan Illston") and ranked[-1].text == "TV"
    assert ranked[0].score - ranked[-1].score > 1.0  # an acronym opening a sentence is no judge


def judge_ev(sentence: str) -> Evidence:
    return Evidence(sentence, 0, 1.0, 0.5, 0.5)
