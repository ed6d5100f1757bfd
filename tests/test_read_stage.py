"""The read stage: a clear short answer is the answer, with its sentence as the evidence and
no model call; an unclear one goes on to the model as before."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake import FakeListLLM

from rag.config import Settings
from rag.read import is_clear, short_answer
from rag.reader import Candidate, Reading
from tests.conftest import sample_pipeline

SENTENCE = "Spamhaus director Steve Linford said the list had grown."


def reading(
    asked: str = "person", fit: float = 1.0, in_question: float = 0.0, margin: float = 1.0
) -> Reading:
    best = Candidate("Steve Linford", "name", SENTENCE, 0, 3.0, fit, in_question)
    return Reading(asked, best, [best], [], {"margin": margin})


def test_only_a_clear_pick_of_the_asked_kind_is_used() -> None:
    assert is_clear(reading(), 0.5)
    assert not is_clear(reading(margin=0.2), 0.5)  # too close to the runner-up
    assert not is_clear(reading(fit=0.5), 0.5)  # not of the asked-for kind
    assert not is_clear(reading(in_question=0.5), 0.5)  # the question's own words
    assert not is_clear(reading(asked="other"), 0.5)  # why/how: no span answers
    assert not is_clear(Reading("person", None, [], [], {"margin": 0.0}), 0.0)


def test_the_short_answer_cites_its_passage_and_keeps_the_sentence_as_evidence() -> None:
    verdict = short_answer(reading())
    assert verdict.text == "Steve Linford [1]." and verdict.cited == [1]
    assert verdict.evidence == {1: [SENTENCE]} and not verdict.refused


class NoModel(FakeListLLM):
    """Fails the test if the pipeline asks it to write."""

    def _call(self, *args: Any, **kwargs: Any) -> str:
        raise AssertionError("the model was called although the reader's pick was clear")


def test_a_clear_reading_answers_without_the_model(settings: Settings) -> None:
    pipeline = sample_pipeline(settings, NoModel(responses=["x"]), reader=True)
    pipeline = pipeline.__class__(
        pipeline.settings.model_copy(update={"reader_margin": 0.0}),
        pipeline.retriever,
        pipeline.llm,
    )
    answer = pipeline.ask("Until what year is Uganda due to chair the Non-Aligned Movement?")
    shown = answer.answer()
    assert shown.answer == "2027 [1]." and shown.cited == [1] and not shown.refused
    assert shown.sources[0].doc_id == "world/nam-chair-uganda"
    assert shown.sources[0].evidence == ["Uganda is due to hold the chair until 2027."]


def test_an_unclear_reading_goes_on_to_the_model(settings: Settings) -> None:
    llm = FakeListLLM(responses=["Uganda took over the chair [1]."])
    pipeline = sample_pipeline(settings, llm, reader=True)
    pipeline = pipeline.__class__(
        pipeline.settings.model_copy(update={"reader_margin": 1e9}), pipeline.retriever, llm
    )
    answer = pipeline.ask("Which country took over the Non-Aligned Movement chair?").answer()
    assert answer.answer == "Uganda took over the chair [1]."
