"""The answer contract, the relevance gate and answer clean-up, with a scripted fake model."""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document
from langchain_core.language_models.fake import FakeListLLM

from ingest.pipeline import ingest
from rag.answer import (
    REFUSAL,
    clean_answer,
    extractive_answer,
    format_passages,
    refusal_reason,
)
from rag.chain import Pipeline
from rag.config import Settings
from rag.retrieval import Filters, NewsRetriever
from rag.store import open_store
from tests.conftest import SAMPLE_CORPUS, HashingEmbeddings

NAM = (
    "Azerbaijan chaired the Non-Aligned Movement (NAM) for 4 years and handed the chairmanship "
    "to Uganda at the 19th Summit held in Kampala on 19-20 January. South Sudan joined."
)


def doc(text: str, score: float = 0.6, **meta: str) -> Document:
    base = {"doc_id": "seed/1", "title": "NAM", "published": "2024-12-28", "source": "News.Az"}
    return Document(page_content=text, metadata={**base, **meta, "score": score})


def test_gate_refuses_when_nothing_is_retrieved_or_relevant() -> None:
    assert refusal_reason("Who chairs NAM?", [], 0.3) == "no articles are ingested"
    assert "below 0.30" in (refusal_reason("Who chairs NAM?", [doc(NAM, 0.1)], 0.3) or "")
    assert refusal_reason("Who took over the NAM chair?", [doc(NAM)], 0.3) is None


def test_gate_refuses_when_the_question_names_a_year_no_passage_has() -> None:
    football = doc("England won the World Cup in 1966 at Wembley.", 0.52)
    assert refusal_reason("Who won the 2030 World Cup?", [football], 0.3) == (
        "no passage mentions 2030"
    )
    assert refusal_reason("Who won the 1966 World Cup?", [football], 0.3) is None
    assert refusal_reason("What happened on 28 December 2024?", [doc(NAM)], 0.3) is None
    nato = doc("Sweden became the 32nd member of NATO.")
    assert refusal_reason("Which country became NATO's 32nd member?", [nato], 0.3) is None
    assert refusal_reason("Who was NATO's 3rd member?", [nato], 0.3) == "no passage mentions 3"


def test_answer_clean_up_strips_images_links_and_foreign_citations() -> None:
    raw = (
        " Uganda [1] ![x](http://evil.example/p.png) see [here](http://evil.example) [7]\nQuestion:"
    )
    text, cited = clean_answer(raw, [doc(NAM)])
    assert text == "Uganda [1]  see here"
    assert cited == [1]
    assert "http" not in text


def test_space_before_punctuation_is_closed() -> None:
    assert clean_answer("In 1978 . [1]", [doc(NAM)])[0] == "In 1978. [1]"


def test_uncited_answer_gets_the_passage_it_overlaps_most() -> None:
    docs = [doc("Tram drivers went on strike."), doc(NAM)]
    assert clean_answer("Uganda took over in Kampala.", docs) == (
        "Uganda took over in Kampala. [2]",
        [2],
    )


def test_extractive_answer_quotes_the_best_sentence_with_its_citation() -> None:
    docs = [doc("Tram drivers went on strike on Friday."), doc(NAM)]
    text, cited = extractive_answer("Who took over the NAM chair?", docs)
    assert text.startswith("“Azerbaijan chaired the Non-Aligned Movement") and text.endswith("[2]")
    assert cited == [2]
    assert extractive_answer("Zebra?", [doc("Nothing related.")]) == (REFUSAL, [])


def test_passages_are_numbered_with_title_source_and_date() -> None:
    assert format_passages([doc(NAM)]).startswith("[1] NAM (News.Az, 2024-12-28): Azerbaijan")


def sample_pipeline(settings: Settings, llm: FakeListLLM | None) -> Pipeline:
    embeddings = HashingEmbeddings()
    store = open_store(settings, "fake")
    ingest([SAMPLE_CORPUS], store, embeddings)
    retriever = NewsRetriever(store=store, embeddings=embeddings, k=4)
    return Pipeline(
        settings=settings.model_copy(update={"min_relevance": 0.2}), retriever=retriever, llm=llm
    )


def test_pipeline_answers_with_numbered_sources_and_timings(settings: Settings) -> None:
    llm = FakeListLLM(responses=[" Uganda took over the chair [1]."])
    answer = sample_pipeline(settings, llm).ask("Who took over the Non-Aligned Movement chair?")
    assert answer.answer == "Uganda took over the chair [1]."
    assert not answer.refused and answer.cited == [1]
    assert answer.sources[0].doc_id == "world/nam-chair-uganda"
    assert [s.n for s in answer.sources] == list(range(1, len(answer.sources) + 1))
    assert answer.sources[0].published == "2024-01-20"
    assert answer.timings.total_s >= answer.timings.retrieve_s > 0


def test_pipeline_refuses_without_calling_the_model(settings: Settings) -> None:
    llm = FakeListLLM(responses=["Brazil [1]."])
    answer = sample_pipeline(settings, llm).ask("Who won the 2030 World Cup?")
    assert answer.refused and answer.answer == REFUSAL
    assert llm.i == 0  # the fake model was never asked


def test_invented_facts_fall_back_to_quoted_evidence(settings: Settings) -> None:
    llm = FakeListLLM(responses=["Ban Ki-moon took over in 2011 [1]."])
    answer = sample_pipeline(settings, llm).ask("Who took over the Non-Aligned Movement chair?")
    assert answer.answer.startswith("“") and "Uganda" in answer.answer
    assert not answer.refused and answer.cited


def test_filters_apply_inside_the_store_query(settings: Settings) -> None:
    pipeline = sample_pipeline(settings, None)
    dated = pipeline.search("summit chair", k=10, filters=Filters(since="2024-06-01"))
    assert dated and all(s.published and s.published >= "2024-06-01" for s in dated)
    early = pipeline.search("summit chair", k=10, filters=Filters(until="2024-03-31"))
    assert early and all(s.published and s.published <= "2024-03-31" for s in early)
    assert pipeline.search("summit", filters=Filters(source="nobody")) == []


def test_search_returns_one_entry_per_article(tmp_path: Path, settings: Settings) -> None:
    pipeline = sample_pipeline(settings, None)
    results = pipeline.search("the", k=20)
    assert len({r.doc_id for r in results}) == len(results)


def test_focus_passage_keeps_the_evidence_window_within_its_size() -> None:
    from rag.chain import focus_passage

    filler = [f"Sentence number {n} is about the weather in town." for n in range(12)]
    text = " ".join([*filler[:6], "Uganda took over the chair from Azerbaijan.", *filler[6:]])
    doc = Document(page_content=text, id="d:0", metadata={"doc_id": "d", "chunk": 0})
    focused = focus_passage(doc, "Who took over the chair?", 200)
    assert "Uganda took over the chair" in focused.page_content
    assert len(focused.page_content) <= 200 and focused.metadata == doc.metadata
    assert focused.page_content.endswith("in town.")  # whole sentences, growing forwards first
    assert focus_passage(doc, "Who took over the chair?", 5000) is doc
