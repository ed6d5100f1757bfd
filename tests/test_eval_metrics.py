"""The evaluation's arithmetic, on hand-worked examples."""

from __future__ import annotations

import pytest

from eval import metrics
from eval.stats import bootstrap_ci, paired_bootstrap_ci

RANKED = ["d1", "d3", "d7", "d2", "d9"]
RELEVANT = {"d1", "d7"}


def test_the_trec_eval_example() -> None:
    assert metrics.precision_at_k(RANKED, RELEVANT, 5) == pytest.approx(0.4)
    assert metrics.recall_at_k(RANKED, RELEVANT, 5) == pytest.approx(1.0)
    assert metrics.reciprocal_rank(RANKED, RELEVANT) == pytest.approx(1.0)
    assert metrics.average_precision(RANKED, RELEVANT) == pytest.approx(0.8333, abs=1e-4)
    assert metrics.ndcg_at_k(RANKED, RELEVANT, 5) == pytest.approx(0.9197, abs=1e-4)


def test_ranking_metrics_at_smaller_cut_offs() -> None:
    assert metrics.hit_at_k(RANKED, {"d7"}, 2) == 0.0
    assert metrics.hit_at_k(RANKED, {"d7"}, 3) == 1.0
    assert metrics.recall_at_k(RANKED, RELEVANT, 2) == 0.5
    assert metrics.reciprocal_rank(RANKED, {"d2"}) == 0.25
    assert metrics.reciprocal_rank(RANKED, {"d2"}, k=3) == 0.0
    assert metrics.precision_at_k(["d1"], RELEVANT, 5) == 0.2  # trec_eval: k is the denominator
    # nDCG@2 with d1 at rank 1 only: 1 / (1 + 1/log2(3))
    assert metrics.ndcg_at_k(RANKED, RELEVANT, 2) == pytest.approx(1 / 1.6309, abs=1e-4)


def test_articles_are_ranked_by_their_first_chunk() -> None:
    assert metrics.distinct(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


def test_squad_normalisation() -> None:
    assert metrics.normalise("The  U.S. Open, an event!") == "us open event"
    assert metrics.normalise("“Uganda”") == "uganda"


def test_answer_contains_ignores_case_punctuation_and_citations() -> None:
    assert metrics.answer_contains("Profits jumped 76% [1].", ["76%"]) == 1.0
    assert metrics.answer_contains("Uganda took over [2].", ["uganda", "Kampala"]) == 1.0
    assert metrics.answer_contains("Azerbaijan [1]", ["Uganda"]) == 0.0
    assert metrics.answer_contains("It was [2] in May.", ["2"]) == 0.0  # a citation is no answer


def test_answer_words_matches_whole_words_only() -> None:
    assert metrics.answer_contains("The article does not say so.", ["No"]) == 1.0  # the spec's
    assert metrics.answer_words("The article does not say so.", ["No"]) == 0.0
    assert metrics.answer_words("No. The article denies it [1].", ["No"]) == 1.0
    assert metrics.answer_words("It opened in 2010 [1].", ["10"]) == 0.0
    assert metrics.answer_words("Steve Linford [1].", ["Linford"]) == 1.0
    # a yes/no verdict is its first word: "Yes. … no longer …" does not answer "no"
    assert metrics.answer_words("Yes. It is no longer sold [1].", ["no"]) == 0.0
    assert metrics.answer_words("Yes. It is no longer sold [1].", ["Yes"]) == 1.0


def test_exact_match_and_token_f1() -> None:
    assert metrics.exact_match("The Uganda [1].", ["Uganda"]) == 1.0
    assert metrics.exact_match("Uganda took over", ["Uganda"]) == 0.0
    # predicted [uganda, took, over], gold [uganda]: precision 1/3, recall 1, F1 0.5
    assert metrics.token_f1("Uganda took over", ["Uganda"]) == pytest.approx(0.5)
    # best over golds: [new, york, city] vs [new, york]: P 2/3, R 1, F1 0.8
    assert metrics.token_f1("New York City", ["Boston", "New York"]) == pytest.approx(0.8)
    assert metrics.token_f1("nothing shared", ["Uganda"]) == 0.0


def test_percentile_and_mean() -> None:
    values = [0.5, 0.1, 0.4, 0.2, 0.3]
    assert metrics.percentile(values, 0.5) == 0.3
    assert metrics.percentile(values, 0.95) == 0.5
    assert metrics.percentile([], 0.5) is None
    assert metrics.mean([1.0, 0.0, 0.5]) == 0.5
    assert metrics.mean([]) is None  # "a metric that no case can score is null"


def test_bootstrap_interval_is_seeded_and_brackets_the_mean() -> None:
    values = [1.0] * 30 + [0.0] * 10
    low, high = bootstrap_ci(values) or (0, 0)
    assert low < 0.75 < high
    assert low > 0.55 and high < 0.9
    assert bootstrap_ci(values) == bootstrap_ci(values)  # same report, same interval
    assert bootstrap_ci([1.0, 1.0]) == (1.0, 1.0)
    assert bootstrap_ci([]) is None


def test_paired_bootstrap_tells_a_consistent_drop_from_noise() -> None:
    before = [1.0] * 40
    dropped = [1.0] * 30 + [0.0] * 10
    delta, low, high = paired_bootstrap_ci(before, dropped) or (0, 0, 0)
    assert delta == pytest.approx(-0.25) and high < 0
    swapped = [0.0, 1.0] * 20
    _, low, high = paired_bootstrap_ci([1.0, 0.0] * 20, swapped) or (0, 0, 0)
    assert low < 0 < high  # as many cases got better as got worse
    with pytest.raises(ValueError):
        paired_bootstrap_ci([1.0], [1.0, 0.0])


def test_grounded_reads_the_answer_sentence_by_sentence() -> None:
    from eval.runner import is_grounded
    from rag.answer import Answer, Source

    source = Source(
        n=1,
        doc_id="a",
        title="Trial opens",
        published=None,
        source="x",
        url="",
        score=0.5,
        snippet="Caroline Ellison, the CEO of Alameda, was used as a front.",
    )
    answer = Answer(
        question="q",
        answer="Caroline Ellison was the front [1]. She was the CEO of Alameda [1].",
        refused=False,
        sources=[source],
        cited=[1],
    )
    assert is_grounded(answer)  # "She" opens a sentence: no name to find in the source
    made_up = answer.model_copy(update={"answer": "She met Gary Wang [1]."})
    assert not is_grounded(made_up)
    # the option a choice question offered opens its answer as a verdict, not a name
    asked = "Did the two reports stay consistent or inconsistent on Alameda?"
    chosen = answer.model_copy(
        update={"question": asked, "answer": "Consistent. She was the CEO of Alameda [1]."}
    )
    assert is_grounded(chosen)
    assert not is_grounded(chosen.model_copy(update={"question": "Who ran Alameda?"}))
