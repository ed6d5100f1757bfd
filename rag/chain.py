"""The question-answering pipeline: retrieve -> gate -> generate -> check -> Answer."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.documents import Document
from langchain_core.language_models.llms import BaseLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from rag.answer import (
    PROMPT,
    REFUSAL,
    STOP,
    Answer,
    Source,
    Timings,
    clean_answer,
    document_to_source,
    extractive_answer,
    format_passages,
    refusal_reason,
    unsupported_terms,
)
from rag.config import Settings
from rag.followup import Turn, standalone_query
from rag.retrieval import Filters, NewsRetriever
from rag.timescope import TimeScope, parse_time_scope

# Passages scoring far below the best one only distract a small model (measured: it answered
# "China", from a Moon-landing passage, to who took over the NAM chair).
RELATIVE_CONTEXT_CUTOFF = 0.75


def passages_for_model(docs: list[Document], limit: int) -> list[Document]:
    """The best passages, dropping those scoring under 75% of the top score."""
    if not docs:
        return []
    top = float(docs[0].metadata.get("score", 0.0))
    keep = [d for d in docs if float(d.metadata.get("score", 0.0)) >= RELATIVE_CONTEXT_CUTOFF * top]
    return keep[:limit]


def generation_chain(llm: BaseLLM) -> Runnable[dict[str, str], str]:
    """prompt | model | text, with the stop sequences the base model needs."""
    return PROMPT | llm.bind(stop=STOP) | StrOutputParser()


@dataclass(frozen=True)
class Retrieved:
    query: str  # what was searched: the question, made standalone for follow-ups
    documents: list[Document]
    scope: TimeScope | None
    seconds: float


@dataclass
class Pipeline:
    """Everything `ask` and `search` need, built once and shared by CLI, app and evaluations."""

    settings: Settings
    retriever: NewsRetriever
    llm: BaseLLM | None

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
    ) -> Retrieved:
        started = time.perf_counter()
        query = standalone_query(question, history)
        # explicit date filters win; otherwise a time named in the question boosts
        scope = None
        if filters is None or not (filters.since or filters.until):
            scope = parse_time_scope(question, self.retriever.store.records.newest_published())
        docs = self.retriever.search(query, k or self.settings.top_k, filters, scope)
        return Retrieved(query, docs, scope, time.perf_counter() - started)

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None
    ) -> list[Source]:
        docs = self.retrieve(" ".join(query.split()), k, filters).documents
        return [document_to_source(n, doc) for n, doc in enumerate(docs, start=1)]

    def ask(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
    ) -> Answer:
        started = time.perf_counter()
        question = " ".join(question.split())
        found = self.retrieve(question, k, filters, history)
        context = passages_for_model(found.documents, self.settings.context_passages)
        reason = refusal_reason(question, context, self.settings.min_relevance)
        cited: list[int] = []
        if reason:
            text, refused = REFUSAL, True
        else:
            text, cited = self.generate(question, found.query, context)
            refused = text == REFUSAL
        total = time.perf_counter() - started
        return Answer(
            question=question,
            answer=text,
            refused=refused,
            sources=[document_to_source(n, d) for n, d in enumerate(found.documents, start=1)],
            cited=cited,
            search_query=found.query,
            time_scope=found.scope.as_dict() if found.scope else None,
            timings=Timings(
                retrieve_s=round(found.seconds, 4),
                generate_s=round(total - found.seconds, 4),
                total_s=round(total, 4),
            ),
        )

    def generate(self, question: str, query: str, context: list[Document]) -> tuple[str, list[int]]:
        """The model's answer when every name and number in it is in a passage sentence about
        the question; otherwise (or with no model) the best evidence sentence, quoted."""
        if self.llm is not None:
            raw = generation_chain(self.llm).invoke(
                {"passages": format_passages(context), "question": question}
            )
            text, cited = clean_answer(raw, context)
            if text and not unsupported_terms(text, query, context):
                return text, cited
        return extractive_answer(question, context)


def build_pipeline(settings: Settings, with_llm: bool = True) -> Pipeline:
    """Load the models and open the store named by the settings."""
    from rag.models import embedding_model_name, make_embeddings, make_llm
    from rag.store import open_store

    embeddings = make_embeddings(settings)
    store = open_store(settings, embedding_model_name(settings))
    retriever = NewsRetriever(
        store=store, embeddings=embeddings, k=settings.top_k, mode=settings.retrieval_mode
    )
    llm = make_llm(settings) if with_llm else None
    return Pipeline(settings=settings, retriever=retriever, llm=llm)
