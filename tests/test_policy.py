"""The answer policy: two logistic models choose the reader's span, the verified answer, or a
refusal. Arithmetic on hand-written inputs; the fitted file loads and names real signals; the
pipeline shows what the policy chose."""

from __future__ import annotations

import math

import pytest
from langchain_core.language_models.fake import FakeListLLM

from rag.chain import Pipeline
from rag.config import Settings
from rag.policy import READER_SIGNALS, Logistic, Policy, load_policy, signals
from rag.question import Question
from rag.reader import Candidate, Reading
from rag.state import State
from rag.verify import Verdict
from tests.conftest import sample_pipeline

SENTENCE = "Spamhaus director Steve Linford said the list had grown."


def test_a_logistic_model_is_a_sigmoid_of_its_weighted_sum() -> None:
    model = Logistic({"a": 2.0, "b": -1.0}, bias=0.5)
    z = 0.5 + 2.0 * 1.0 - 1.0 * 3.0
    assert model.probability({"a": 1.0, "b": 3.0}) == pytest.approx(1 / (1 + math.exp(-z)))
    assert model.probability({}) == pytest.approx(1 / (1 + math.exp(-0.5)))  # absent: 0
    assert model.probability({"a": 1e9}) == pytest.approx(1.0)  # no overflow


def policy(span_bias: float, verified_bias: float, threshold: float = 0.5) -> Policy:
    return Policy(Logistic({}, span_bias), Logistic({}, verified_bias), threshold)


def feats(has_pick: bool = True, verdict_refused: bool = False) -> dict[str, float]:
    return {"has_pick": float(has_pick), "verdict_refused": float(verdict_refused)}


def test_the_more_likely_answer_is_shown_and_neither_above_the_threshold_refuses() -> None:
    assert policy(2.0, 0.0).choose(feats()).shown == "span"  # 0.88 against 0.5
    assert policy(0.0, 2.0).choose(feats()).shown == "verified"
    assert policy(-2.0, -2.0).choose(feats()).shown == "refuse"  # 0.12 both, below 0.5
    assert policy(-2.0, -2.0, threshold=0.1).choose(feats()).shown == "span"  # a tie: the span


def test_an_absent_answer_is_never_chosen() -> None:
    assert policy(5.0, 0.0).choose(feats(has_pick=False)).shown == "verified"
    assert policy(0.0, 5.0).choose(feats(verdict_refused=True)).shown == "span"
    no_answer = policy(5.0, 5.0).choose(feats(has_pick=False, verdict_refused=True))
    assert no_answer.shown == "refuse" and no_answer.p_span == no_answer.p_verified == 0.0


def state_with(verdict: Verdict) -> State:
    state = State(Question.parse("Who is the director of Spamhaus?"), 4)
    state.verdict = verdict
    return state


def test_signals_describe_the_verdict_and_the_reading() -> None:
    best = Candidate("Steve Linford", "name", SENTENCE, 0, 3.0, 1.0, 0.0)
    reading = Reading("person", best, [best], [], {"margin": 1.0, "kind_fit": 1.0})
    quoted = signals(state_with(Verdict(f"“{SENTENCE}” [1]", [1])), reading)
    assert quoted["verdict_quote"] == 1.0 and quoted["pick_in_verdict"] == 1.0
    assert quoted["agrees"] == 1.0 and quoted["span_kind"] == 1.0 and quoted["margin"] == 1.0
    refused = signals(state_with(Verdict("I couldn't find this.", [], refused=True)), None)
    assert refused["verdict_refused"] == 1.0 and refused["has_pick"] == 0.0
    assert refused["agrees"] == 0.0 and all(refused[k] == 0.0 for k in READER_SIGNALS)


def test_the_fitted_policy_weighs_only_signals_the_pipeline_computes() -> None:
    fitted = load_policy()
    known = set(signals(state_with(Verdict("x", [1])), None))
    assert set(fitted.span.weights) <= known and set(fitted.verified.weights) <= known
    assert fitted.alone is not None and set(fitted.alone.weights) <= known
    assert 0.0 < fitted.threshold < 1.0 and 0.0 <= fitted.unverified <= 1.0


def test_an_unverified_span_needs_more_than_the_threshold() -> None:
    strict = Policy(Logistic({}, 0.0), Logistic({}, 0.0), 0.1, unverified=0.6)  # p_span 0.5
    assert strict.choose(feats(verdict_refused=True)).shown == "refuse"
    assert strict.choose(feats()).shown == "span"  # verified answer kept: the usual choice
    lenient = Policy(Logistic({}, 0.0), Logistic({}, 0.0), 0.1, unverified=0.4)
    assert lenient.choose(feats(verdict_refused=True)).shown == "span"


QUESTION = "Until what year is Uganda due to chair the Non-Aligned Movement?"


def test_the_pipeline_shows_the_policys_choice(settings: Settings) -> None:
    draft = "Uganda will hold the chair until 2027 [1]."
    base = sample_pipeline(settings, FakeListLLM(responses=[draft] * 2), reader=True)
    learned = base.settings.model_copy(update={"policy": "learned"})
    sure = Pipeline(learned, base.retriever, base.llm, policy=policy(4.0, 0.0))
    response = sure.ask(QUESTION)
    assert response.answer().answer == "2027 [1]."
    assert response.state.choice is not None and response.state.choice.shown == "span"
    doubtful = Pipeline(learned, base.retriever, base.llm, policy=policy(-5.0, -5.0))
    refused = doubtful.ask(QUESTION).answer()
    assert refused.refused and refused.cited == []


def test_a_sure_reading_skips_the_model_and_a_doubtful_one_does_not() -> None:
    sure = Policy(Logistic({}, 0.0), Logistic({}, 0.0), 0.1, Logistic({}, 3.0), sure=0.9)
    fits = feats() | {"span_kind": 1.0}
    chosen = sure.skips_model(fits)
    assert chosen is not None and chosen.shown == "span" and chosen.p_span > 0.9
    assert sure.skips_model(feats(has_pick=False) | {"span_kind": 1.0}) is None
    assert sure.skips_model(feats() | {"span_kind": 0.0}) is None  # "why" goes to the model
    doubtful = Policy(Logistic({}, 0.0), Logistic({}, 0.0), 0.1, Logistic({}, -3.0), sure=0.9)
    assert doubtful.skips_model(fits) is None
    assert policy(5.0, 5.0).skips_model(fits) is None  # no reading-alone model: never


class CountingLLM(FakeListLLM):
    """A fake model that counts how often it is asked to write."""

    calls: int = 0

    def _call(self, *args: object, **kwargs: object) -> str:  # type: ignore[override]
        self.calls += 1
        return super()._call(*args, **kwargs)  # type: ignore[arg-type]


def test_the_pipeline_answers_a_sure_span_without_running_the_model(settings: Settings) -> None:
    llm = CountingLLM(responses=["Uganda will hold the chair until 2027 [1]."] * 4)
    base = sample_pipeline(settings, llm, reader=True)
    learned = base.settings.model_copy(update={"policy": "learned"})
    skipping = Policy(Logistic({}, 4.0), Logistic({}, 0.0), 0.1, Logistic({}, 4.0), sure=0.5)
    answer = Pipeline(learned, base.retriever, llm, policy=skipping).ask(QUESTION).answer()
    assert answer.answer == "2027 [1]." and llm.calls == 0
    writing = Policy(Logistic({}, 4.0), Logistic({}, 0.0), 0.1, Logistic({}, -4.0), sure=0.5)
    assert Pipeline(learned, base.retriever, llm, policy=writing).ask(QUESTION).answer()
    assert llm.calls == 1
