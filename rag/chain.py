"""The question-answering pipeline: retrieve -> gate -> generate -> check -> Answer."""

from __future__ import annotations

import time
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
    Timings,
    clean_answer,
    document_to_source,
    extractive_answer,
    format_passages,
    refusal_reason,
    unsupported_terms,
)
from rag.config import Settings
from rag.retrieval import Filters, NewsRetriever

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


@dataclass
class Pipeline:
    """Everything `ask` and `search` need, built once and shared by CLI, app and evaluations."""

    settings: Settings
    retriever: NewsRetriever
    llm: BaseLLM | None

    def search(self, query: str, k: int | None = None, filters: Filters | None = None) -> list:
        docs = self.retriever.search(query, k or self.settings.top_k, filters)
        return [document_to_source(n, doc) for n, doc in enumerate(docs, start=1)]

    def ask(self, question: str, k: int | None = None, filters: Filters | None = None) -> Answer:
        started = time.perf_counter()
        question = " ".join(question.split())
        docs = self.retriever.search(question, k or self.settings.top_k, filters)
        retrieved = time.perf_counter()
        sources = [document_to_source(n, doc) for n, doc in enumerate(docs, start=1)]
        context = passages_for_model(docs, self.settings.context_passages)
        reason = refusal_reason(question, context, self.settings.min_relevance)
        cited: list[int] = []
        if reason:
            text, refused = REFUSAL, True
        else:
            text, cited = self.generate(question, context)
            refused = text == REFUSAL
        finished = time.perf_counter()
        return Answer(
            question=question,
            answer=text,
            refused=refused,
            sources=sources,
            cited=cited,
            timings=Timings(
                retrieve_s=round(retrieved - started, 4),
                generate_s=round(finished - retrieved, 4),
                total_s=round(finished - started, 4),
            ),
        )

    def generate(self, question: str, context: list[Document]) -> tuple[str, list[int]]:
        """The model's answer when every name and number in it is in the passages; otherwise
        (or with no model) the best evidence sentence, quoted."""
        if self.llm is not None:
            raw = generation_chain(self.llm).invoke(
                {"passages": format_passages(context), "question": question}
            )
            text, cited = clean_answer(raw, context)
            if text and not unsupported_terms(text, question, context):
                return text, cited
        return extractive_answer(question, context)


def build_pipeline(settings: Settings, with_llm: bool = True) -> Pipeline:
    """Load the models and open the store named by the settings."""
    from rag.models import embedding_model_name, make_embeddings, make_llm
    from rag.store import open_store

    embeddings = make_embeddings(settings)
    store = open_store(settings, embedding_model_name(settings))
    retriever = NewsRetriever(store=store, embeddings=embeddings, k=settings.top_k)
    llm = make_llm(settings) if with_llm else None
    return Pipeline(settings=settings, retriever=retriever, llm=llm)
