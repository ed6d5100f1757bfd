from __future__ import annotations

import pytest

from rag.answertype import offers_candidate, wanted_type
from rag.evidence import extractive_answer
from rag.passage import Passage
from rag.question import Question


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When was Diablo 3 released?", "date"),
        ("In which year did Grange Hill first air?", "date"),
        ("How many seats did Labour win?", "number"),
        ("What was Tesla's revenue in Q1 2021?", "number"),
        ("Who acquired Instagram?", "name"),
        ("Which judge put Courtney Love on probation?", "name"),
        ("Which auctioneers ran that sale?", "name"),
        ("In which city did the film have its premiere?", "name"),
        ("What is the name of the mystery investor?", "name"),
        ("What is the trojan called that infects people?", "name"),
        ("What rate of tax on jet fuel did France propose?", "number"),
        ("Super Bowl 2021 location", None),
    ],
)
def test_wanted_answer_type(question: str, kind: str | None) -> None:
    assert wanted_type(question) == kind


def test_a_candidate_must_be_new_to_the_question() -> None:
    question = "Who acquired Instagram?"
    assert offers_candidate("Facebook bought Instagram in 2012.", question, "name")
    assert not offers_candidate("Instagram was acquired for its users.", question, "name")
    assert offers_candidate("The game came out on May 15, 2012.", "When was it released?", "date")
    assert not offers_candidate("The game came out to acclaim.", "When was it released?", "date")
    # a possessive is the same name; a citation marker is no number; 'G7' is no figure
    assert not offers_candidate("Liverpool's shares [1].", "Who bid for Liverpool?", "name")
    assert not offers_candidate("The poll named it [1].", "How many votes were cast?", "number")
    assert not offers_candidate("Tabled after the G7.", "What rate did they propose?", "number")


def test_extractive_prefers_the_sentence_holding_an_answer() -> None:
    distractor = Passage(
        "d", 0, "Wimbledon 2019 women's singles final tickets and the women's singles draw."
    )
    answer = Passage("a", 0, "Simona Halep won the women's singles at Wimbledon in 2019.")
    question = Question.parse("Who won the women's singles Wimbledon in 2019?")
    found = extractive_answer(question, [distractor, answer])
    assert found is not None and found.text.startswith("“Simona Halep won") and found.n == 2
