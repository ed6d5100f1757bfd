"""The question-answering pipeline: retrieve -> gate -> generate (streamed) -> verify -> Answer."""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

from langchain_core.documents import Document
from langchain_core.language_models.llms import BaseLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from rag.answer import (
    PROMPT,
    REFUSAL,
    Answer,
    Source,
    Timings,
    clean_answer,
    document_to_source,
    evidence_score,
    extractive_answer,
    format_passages,
    refusal_reason,
    stop_sequences,
)
from rag.answertype import offers_candidate, wanted_type
from rag.config import Settings
from rag.followup import Turn, standalone_query
from rag.retrieval import Filters, NewsRetriever
from rag.text import split_sentences
from rag.timescope import TimeScope, parse_time_scope
from rag.verify import verify_answer

# Passages scoring far below the best one only distract a small model (measured: it answered
# "China", from a Moon-landing passage, to who took over the NAM chair).
RELATIVE_CONTEXT_CUTOFF = 0.75
# Prompt length is most of the bundled model's latency (~590 prompt tokens/s here): three
# 900-character chunks, or more passages when they are short (RGB's are ~200 characters).
CONTEXT_CHARS = 2700


MAX_QUESTION_CHARS = 2000  # a question, not a document: longer input is cut, never refused


def clean_question(text: str) -> str:
    """Printable characters only, white space folded, at most MAX_QUESTION_CHARS."""
    printable = "".join(c if c.isprintable() else " " for c in text[: MAX_QUESTION_CHARS * 2])
    return " ".join(printable.split())[:MAX_QUESTION_CHARS]


def passages_for_model(docs: list[Document], limit: int) -> list[Document]:
    """The best passages, dropping those scoring under 75% of the best score."""
    if not docs:
        return []
    best = max(float(d.metadata.get("score", 0.0)) for d in docs)
    keep = [
        d for d in docs if float(d.metadata.get("score", 0.0)) >= RELATIVE_CONTEXT_CUTOFF * best
    ]
    return keep[:limit]


def cited_numbers(context: list[Document], documents: list[Document]) -> dict[int, int]:
    """Prompt passage number -> source number. The model sees a filtered subset of the
    retrieved articles, so its [2] may be the third source."""
    position = {d.metadata.get("doc_id"): n for n, d in enumerate(documents, start=1)}
    numbers = {}
    for prompt_n, passage in enumerate(context, start=1):
        source_n = position.get(passage.metadata.get("doc_id"))
        if source_n is not None:
            numbers[prompt_n] = source_n
    return numbers


def focus_passage(doc: Document, question: str, max_chars: int) -> Document:
    """The window of whole sentences, at most max_chars, around the passage's best evidence
    sentence: fewer prompt tokens for the model (most of its latency) and less to distract it."""
    sentences = split_sentences(doc.page_content)
    if len(doc.page_content) <= max_chars or len(sentences) < 2:
        return doc
    kind = wanted_type(question)
    scores = [evidence_score(s, question, kind) for s in sentences]
    low = high = scores.index(max(scores))
    size = len(sentences[low])
    while True:  # grow forwards first: the sentence after a claim usually explains it
        if high + 1 < len(sentences) and size + len(sentences[high + 1]) + 1 <= max_chars:
            high += 1
            size += len(sentences[high]) + 1
        elif low > 0 and size + len(sentences[low - 1]) + 1 <= max_chars:
            low -= 1
            size += len(sentences[low]) + 1
        else:
            break
    text = " ".join(sentences[low : high + 1])
    return Document(page_content=text, id=doc.id, metadata=doc.metadata)


def generation_chain(llm: BaseLLM) -> Runnable[dict[str, str], str]:
    """prompt | model | text, with the stop sequences that model needs."""
    return PROMPT | llm.bind(stop=stop_sequences(llm)) | StrOutputParser()


@dataclass(frozen=True)
class Retrieved:
    query: str  # what was searched: the question, made standalone for follow-ups
    documents: list[Document]
    scope: TimeScope | None
    seconds: float


@dataclass
class Draft:
    """What generation produced, after verification."""

    text: str
    cited: list[int]
    grounded: bool
    evidence: dict[int, list[str]] = field(default_factory=dict)
    first_token_s: float | None = None
    context: list[Document] = field(default_factory=list)  # the passages [1], [2]... shown


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
        docs = self.retrieve(clean_question(query), k, filters).documents
        return [document_to_source(n, doc) for n, doc in enumerate(docs, start=1)]

    def ask(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
    ) -> Answer:
        for event in self.ask_stream(question, k, filters, history):
            if isinstance(event, Answer):
                return event
        raise RuntimeError("the answer stream ended without an answer")  # pragma: no cover

    def ask_stream(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
    ) -> Generator[str | Answer, None, None]:
        """Yield the model's text as it is generated, then the verified Answer (last)."""
        started = time.perf_counter()
        question = clean_question(question)
        found = self.retrieve(question, k, filters, history)
        draft = yield from self.draft_stream(question, found.query, found.documents)
        yield self.make_answer(question, found, draft, time.perf_counter() - started)

    def make_answer(self, question: str, found: Retrieved, draft: Draft, total: float) -> Answer:
        sources = [document_to_source(n, d) for n, d in enumerate(found.documents, start=1)]
        number = cited_numbers(draft.context, found.documents)
        for prompt_n, source_n in number.items():
            passage, source = draft.context[prompt_n - 1], sources[source_n - 1]
            if passage.id and passage.id != found.documents[source_n - 1].id:
                source.snippet = passage.page_content  # another chunk of it answered
            source.evidence = draft.evidence.get(prompt_n, [])
        text = re.sub(r"\[(\d+)\]", lambda m: f"[{number.get(int(m.group(1)), m.group(1))}]",
                      draft.text)  # fmt: skip
        return Answer(
            question=question,
            answer=text,
            refused=draft.text == REFUSAL,
            grounded=draft.grounded,
            sources=sources,
            cited=sorted({number.get(n, n) for n in draft.cited}),
            search_query=found.query,
            time_scope=found.scope.as_dict() if found.scope else None,
            timings=Timings(
                retrieve_s=round(found.seconds, 4),
                generate_s=round(total - found.seconds, 4),
                total_s=round(total, 4),
                first_token_s=draft.first_token_s,
            ),
        )

    def draft_stream(
        self, question: str, query: str, documents: list[Document]
    ) -> Generator[str, None, Draft]:
        """Gate, then generate and verify: the answer step alone, given ranked passages."""
        context = passages_for_model(documents, self.settings.context_passages)
        if refusal_reason(question, context, self.settings.min_relevance):
            return Draft(REFUSAL, [], grounded=True)
        if self.settings.best_chunk and context:  # the top article only: each chunk costs time
            context = [self.best_chunk(context[0], question), *context[1:]]
        if self.settings.neighbour_chunks:
            context = [self.with_neighbours(doc) for doc in context]
        if self.settings.passage_chars:
            context = [focus_passage(d, question, self.settings.passage_chars) for d in context]
        draft = yield from self.generate(question, query, context)
        draft.context = context
        return draft

    def best_chunk(self, doc: Document, question: str) -> Document:
        """The article's chunk whose best sentence best answers the question. Retrieval ranks
        articles by their closest chunk, often the headline's; the fact asked for may sit
        further down ("How many Carry On films..." is answered in the third chunk)."""
        record = self.retriever.store.records.get(doc.metadata["doc_id"])
        if record is None or record.chunks < 2:
            return doc
        ids = [f"{record.doc_id}:{n}" for n in range(record.chunks)]
        texts = self.retriever.store.chunks_with_vectors(ids, vectors=False)
        kind = wanted_type(question)

        def strength(text: str) -> float:
            return max(
                (evidence_score(s, question, kind) for s in split_sentences(text)), default=0
            )

        best_id = max(ids, key=lambda i: (strength(texts.get(i, ("",))[0]), i == doc.id))
        if best_id == doc.id or best_id not in texts:
            return doc
        text, metadata = texts[best_id][0], {**doc.metadata, **texts[best_id][1]}
        return Document(page_content=text, id=best_id, metadata={**metadata,
                        "score": doc.metadata.get("score", 0.0)})  # fmt: skip

    def with_neighbours(self, doc: Document) -> Document:
        """The passage with the chunks before and after it, for facts that span a boundary.
        The chunker repeats a short boundary sentence; it is not repeated here."""
        doc_id, chunk = doc.metadata["doc_id"], int(doc.metadata["chunk"])
        span = range(
            chunk - self.settings.neighbour_chunks, chunk + self.settings.neighbour_chunks + 1
        )
        ids = [f"{doc_id}:{n}" for n in span if n >= 0]
        others = [i for i in ids if i != doc.id]
        texts = self.retriever.store.chunks_with_vectors(others, vectors=False)
        sentences: list[str] = []
        for chunk_id in ids:
            text = doc.page_content if chunk_id == doc.id else texts.get(chunk_id, ("",))[0]
            sentences.extend(s for s in split_sentences(text) if s not in sentences[-3:])
        return Document(page_content=" ".join(sentences), id=doc.id, metadata=doc.metadata)

    def answer_passages(self, question: str, documents: list[Document]) -> Draft:
        """The answer step without retrieval (benchmarks that hand over their own passages)."""
        stream = self.draft_stream(question, question, documents)
        while True:
            try:
                next(stream)
            except StopIteration as done:
                return done.value

    def answer_documents(self, question: str, documents: list[Document]) -> Answer:
        """A whole Answer from passages handed over, ranked best first (RGB-style evaluations)."""
        started = time.perf_counter()
        draft = self.answer_passages(question, documents)
        found = Retrieved(question, documents, None, 0.0)
        return self.make_answer(question, found, draft, time.perf_counter() - started)

    def generate(
        self, question: str, query: str, context: list[Document]
    ) -> Generator[str, None, Draft]:
        """Stream the model's answer, then keep only what the passages support; with nothing
        supported (or no model), quote the best evidence sentence instead; refuse when not even
        that offers the kind of answer asked for (a near-miss article)."""
        first_token_s = None
        kind = wanted_type(question)
        if self.llm is not None:
            started = time.perf_counter()
            parts: list[str] = []
            chain_input = {"passages": format_passages(context), "question": question}
            for part in generation_chain(self.llm).stream(chain_input):
                first_token_s = first_token_s or round(time.perf_counter() - started, 4)
                parts.append(part)
                yield part
            text, _ = clean_answer("".join(parts), context)
            verified = verify_answer(text, query, context)
            # "The auctioneers were: [1]." passes verification but answers nothing
            if verified.text and offers_candidate(verified.text, question, kind):
                return Draft(verified.text, verified.cited, True, verified.evidence, first_token_s)
        text, cited = extractive_answer(question, context)
        if not cited or not offers_candidate(text, question, kind):
            # on topic, but no name/date/number of the asked-for kind anywhere near it: the
            # articles mention the story without the answer ("What rate of tax did they
            # propose?" over an article that names no rate)
            return Draft(REFUSAL, [], True, {}, first_token_s)
        evidence = {cited[0]: [text.split("” [")[0].lstrip("“")]}
        return Draft(text, cited, True, evidence, first_token_s)


def build_pipeline(settings: Settings, with_llm: bool = True, one_shot: bool = False) -> Pipeline:
    """Load the models and open the store named by the settings (`one_shot`: a command that
    answers once and exits, so start-up time matters most)."""
    from rag.models import embedding_model_name, make_embeddings, make_llm
    from rag.store import open_store

    embeddings = make_embeddings(settings, one_shot)
    store = open_store(settings, embedding_model_name(settings))
    retriever = NewsRetriever(
        store=store, embeddings=embeddings, k=settings.top_k, mode=settings.retrieval_mode
    )
    llm = make_llm(settings) if with_llm else None
    return Pipeline(settings=settings, retriever=retriever, llm=llm)
