"""The second hop (rag/hop.py): a description resolved to a name in the first article, and
the question searched again with that name. spaCy's small English model is the subject of the
description parse; the passages and searches are hand-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.language_models.fake import FakeListLLM

from rag.asked import names_a_person
from rag.config import Settings
from rag.hop import bridge_of, direct, second_hop
from rag.nlp import described, pipeline
from rag.passage import Passage
from rag.question import Question
from tests.conftest import HashingEmbeddings
from tests.test_reader import fake_embed

needs_spacy = pytest.mark.skipif(pipeline() is None, reason="spaCy's English model is missing")

QUESTION = (
    "The Egyptian striker who scored twice in Tottenham's 3-0 FA Cup win over Nottingham "
    "Forest had been dropped from his national team by which coach?"
)
MATCH = (
    "Egyptian striker Mido scored twice as Tottenham beat Nottingham Forest 3-0 in the FA Cup "
    "on Wednesday."
)
DROPPED = (
    "Mido was dropped from Egypt's squad by coach Marco Tardelli after a row over his "
    "substitution in a friendly."
)
OTHER = "Nottingham Forest fans protested against the club's owners before the match."


def passage(doc_id: str, text: str, score: float = 0.6) -> Passage:
    return Passage(doc_id, 0, text, doc_id, "2005-03-01", "BBC", "", score=score)


@needs_spacy
def test_a_definite_description_with_a_relative_clause_is_found() -> None:
    assert described(QUESTION) == (
        "The Egyptian striker who scored twice in Tottenham's 3-0 FA Cup win over Nottingham Forest"
    )
    # the question asks what the description names: nothing to hop over
    assert described("Who is the director who hoped it would stay dry?") is None
    assert described("What was the name of the executive who froze his disk?") is None
    assert described("How many goals did Mido score against Forest?") is None
    # the parse may run on past a colon; the description stops there
    cable = "The cable firm whose spokesman spoke: in which city is its service offered?"
    assert described(cable) == "The cable firm whose spokesman spoke"


def test_agent_nouns_and_titles_name_people() -> None:
    assert names_a_person("striker") and names_a_person("chancellor")
    assert names_a_person("minister") and names_a_person("coach")
    assert not names_a_person("tournament") and not names_a_person("order")
    assert not names_a_person(None)
    # in business news these name firms: "the European plane maker that agreed to sell ..."
    assert not names_a_person("maker") and not names_a_person("carmaker")
    assert not names_a_person("retailer") and not names_a_person("brewer")


def test_a_subject_relative_clause_becomes_the_question_it_answers() -> None:
    assert direct("American sprinter who filed a lawsuit against Conte") == (
        "Which American sprinter filed a lawsuit against Conte?"
    )
    assert direct("plane maker that agreed to sell 23 jets") == (
        "Which plane maker agreed to sell 23 jets?"
    )
    # the pronoun is the clause's object, or the clause is about a place: left as it is
    assert direct("FA Cup quarter-final that Martin Jol's side earned") is None
    assert direct("firm that it bought last year") is None
    assert direct("show at which Archos launched its player") is None
    assert direct("tournament in Thailand where Hingis made her comeback") is None


SPRINTER = (
    "Marion Jones has filed a lawsuit for defamation against Balco boss Victor Conte over his "
    "allegations. The Sydney Olympic gold medallist says Conte damaged her reputation."
)


@needs_spacy
def test_a_description_opening_the_question_is_resolved_to_the_subject_it_names() -> None:
    asked = (
        "The American sprinter who filed a defamation lawsuit against Balco founder Victor "
        "Conte won how many medals in Sydney?"
    )
    description = described(asked)
    assert description is not None and description.startswith("The American sprinter")
    bridge = bridge_of(description, asked, [passage("suit", SPRINTER)], fake_embed)
    assert bridge == "Marion Jones"


@needs_spacy
def test_the_question_is_searched_again_with_the_name_the_first_article_gives() -> None:
    queries: list[str] = []

    def search(query: str, k: int) -> list[Passage]:
        queries.append(query)
        return [passage("match", MATCH), passage("fans", OTHER), passage("dropped", DROPPED)]

    asked = Question.parse(QUESTION)
    hop = second_hop(asked, [passage("match", MATCH), passage("fans", OTHER)], search, fake_embed)
    assert hop is not None and hop.bridge == "Mido"
    assert queries == ["Mido had been dropped from his national team by which coach?"]
    # the first article again, and one that never names Mido, are passed over
    assert hop.passage.doc_id == "dropped"
    # the bridge joins the search query, as an earlier turn would, so it is no answer itself
    assert hop.question.search_query.startswith("Mido") and hop.question.text == QUESTION


@needs_spacy
def test_no_hop_without_a_description_or_a_name_for_it() -> None:
    plain = Question.parse("Which coach dropped Mido from Egypt's squad?")
    never = [passage("dropped", DROPPED)]
    assert second_hop(plain, never, lambda q, k: never, fake_embed) is None
    # the first article says nothing of a striker who scored: no name to search with
    description = described(QUESTION)
    assert description is not None
    assert bridge_of(description, QUESTION, [passage("fans", OTHER)], fake_embed) is None
    assert bridge_of(description, QUESTION, [passage("match", MATCH)], fake_embed) == "Mido"


@needs_spacy
def test_the_pipeline_shows_the_hopped_article_beside_the_first(
    settings: Settings, tmp_path: Path
) -> None:
    from ingest.pipeline import ingest
    from rag.chain import Pipeline
    from rag.retrieval import NewsRetriever
    from rag.store import open_store

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, title, text in (
        ("match", "Spurs beat Forest in the Cup", MATCH),
        ("dropped", "Egypt drop Mido", DROPPED),
        ("fans", "Forest fans protest", OTHER),
    ):
        article = {"title": title, "published": "2005-03-01", "source": "BBC", "text": text}
        (corpus / f"{name}.json").write_text(json.dumps(article))
    embeddings = HashingEmbeddings()
    store = open_store(settings, "fake")
    ingest([corpus], store, embeddings)
    retriever = NewsRetriever(store=store, embeddings=embeddings)
    llm = FakeListLLM(responses=["Marco Tardelli dropped Mido [2]."])
    changes = {"min_relevance": 0.0, "reader": True}
    pipe = Pipeline(settings.model_copy(update=changes), retriever, llm)
    response = pipe.ask(QUESTION)
    shown = response.answer()
    assert response.state.hop is not None and response.state.hop.bridge == "Mido"
    titles = [p.title for p in response.state.context]
    assert titles[1] == "Egypt drop Mido"
    assert "Marco Tardelli" in shown.answer and not shown.refused
    off = Pipeline(settings.model_copy(update=changes | {"second_hop": False}), retriever, llm)
    assert off.ask(QUESTION).state.hop is None
