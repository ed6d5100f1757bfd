"""The question path: one entry point, `Pipeline.ask`, calls the stages in order.

question (rag/question.py) -> retrieve (rag/retrieval.py) -> choose context (rag/context.py)
-> gate (rag/gate.py) -> prompt (rag/prompt.py) -> generate (rag/generate.py) -> verify, with
the extractive fallback (rag/verify.py, rag/evidence.py) -> read the short answer (rag/read.py,
rag/reader.py) -> assemble (rag/assemble.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from langchain_core.language_models.llms import BaseLLM

from rag.answer import REFUSAL, Source, Timings
from rag.asked import TWO_WAY
from rag.assemble import assemble
from rag.config import Settings
from rag.context import select, shape, whole_articles
from rag.followup import Turn
from rag.gate import gate
from rag.generate import stream_draft
from rag.hop import second_hop
from rag.passage import Passage
from rag.policy import Policy, apply_policy, load_policy, read_first
from rag.question import Question
from rag.read import agrees, overrules, read_context, short_answer, unbacked_quote, yes_no
from rag.retrieval import Filters, NewsRetriever
from rag.state import Response, State
from rag.store import NewsStore
from rag.verify import Verdict, check


@dataclass
class Pipeline:
    """Everything `ask` and `search` need, built once and shared by CLI, app and evaluations."""

    settings: Settings
    retriever: NewsRetriever
    llm: BaseLLM | None
    policy: Policy | None = None  # None: the fitted one (rag/policy.json), loaded on first use

    @property
    def store(self) -> NewsStore:
        """The articles' store (for the library: listing, deleting, adding)."""
        return self.retriever.store

    def question(
        self, text: str, history: Sequence[Turn] | None = None, filters: Filters | None = None
    ) -> Question:
        """Parse once. Explicit date filters win; otherwise a time named in the question
        boosts the articles inside it."""
        dated = filters is not None and bool(filters.since or filters.until)
        newest = None if dated else self.retriever.newest_published()
        return Question.parse(text, history, newest, with_scope=not dated)

    def retrieve(
        self, question: Question, k: int | None = None, filters: Filters | None = None
    ) -> list[Passage]:
        k = k or self.settings.top_k
        return self.retriever.search(question.search_query, k, filters, question.scope)

    def search(
        self, query: str, k: int | None = None, filters: Filters | None = None
    ) -> list[Source]:
        passages = self.retrieve(self.question(query, filters=filters), k, filters)
        return [p.to_source(n) for n, p in enumerate(passages, start=1)]

    def ask(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
        *,
        passages: list[Passage] | None = None,
        depth: int = 0,
    ) -> Response:
        """The one entry point. `passages`: answer from these, ranked best first, instead of
        retrieving (RGB-style runs); `depth`: retrieve at least this many (state.ranked) for
        an evaluation's ranking metrics, while the answer still uses the first k."""
        started = time.perf_counter()
        if passages is not None:
            state = State(Question.parse(question, with_scope=False), len(passages), passages)
        else:
            state = State(self.question(question, history, filters), k or self.settings.top_k)
        return Response(state, self.run(state, filters, depth, started, passages is None))

    def run(
        self, state: State, filters: Filters | None, depth: int, started: float, fetch: bool
    ) -> Iterator[str]:
        """The stages in order; yields the model's tokens while it generates."""
        if fetch:
            state.ranked = self.retrieve(state.question, max(state.k, depth), filters)
            state.retrieve_s = time.perf_counter() - started
        if fetch and self.settings.second_hop and state.ranked:
            self.hop(state, filters)
        state.selected = select(state.sources, self.settings.context_passages)
        if state.hop is not None:  # the bridge's article, then the one the second search found
            hopped = [state.ranked[0], state.hop.passage]
            state.selected = hopped[: self.settings.context_passages]
        shaped = shape(state.selected, state.question, self.settings, self.retriever)
        # the collection's outlets are read only for a question that names one
        outlets = self.store.sources() if fetch and state.question.outlets else None
        # the figures a question names are looked for in the matched chunks and in the ones
        # shown: "between 1990 and 2004" may sit in the article's third chunk, which best_chunk
        # shows while the search matched the headline's; failing those, in their whole articles
        seen = state.selected + shaped
        articles = (lambda: whole_articles(seen, self.retriever)) if fetch else None
        state.gate = gate(state.question, seen, self.settings.min_relevance, outlets, articles)
        if state.gate.refuses:
            state.verdict = Verdict(state.gate.message or REFUSAL, [], refused=True)
        else:
            state.context = shaped
            if self.read_first(state):
                pass  # the reader is sure: the span stands, and the model need not write
            else:
                if self.llm is not None:
                    yield from self.generate(state, self.llm)
                state.verdict = check(
                    state.draft, state.question, state.context, self.quote_order(state)
                )
                if self.settings.reader:
                    self.read(state)
        total = time.perf_counter() - started
        timings = Timings(
            retrieve_s=round(state.retrieve_s, 4),
            generate_s=round(total - state.retrieve_s, 4),
            total_s=round(total, 4),
            first_token_s=state.first_token_s,
        )
        state.answer = assemble(state, timings)

    def hop(self, state: State, filters: Filters | None) -> None:
        """Search again with the name a description stands for (rag/hop.py); the article found
        becomes the second source, and the bridge joins the search query."""
        embed = self.retriever.embeddings.embed_documents

        def search(query: str, k: int) -> list[Passage]:
            return self.retriever.search(query, k, filters, state.question.scope)

        state.hop = second_hop(state.question, state.ranked, search, embed)
        if state.hop is not None:
            found = state.hop.passage
            rest = [p for p in state.ranked[1:] if p.doc_id != found.doc_id]
            state.ranked = [state.ranked[0], found, *rest]
            state.question = state.hop.question

    def read_first(self, state: State) -> bool:
        """With the learned policy and a model: read before generating, and when the reading
        alone is sure of its span (rag.policy.Policy.skips_model), answer with it at once."""
        if not self.settings.reader or self.settings.policy == "off" or self.llm is None:
            return False
        if state.question.asked in TWO_WAY:
            return False
        state.reading = read_context(
            state.question, state.context, self.retriever.embeddings.embed_documents
        )
        choice = read_first(state, state.reading, self.policy or load_policy())
        if choice is None or state.reading.answer is None:
            return False
        state.verdict, state.choice = short_answer(state.reading, state.context), choice
        return True

    def quote_order(self, state: State) -> list[tuple[str, int]] | None:
        """The reader's sentences, best first, for a quote when the draft fails verification
        (read once: the short answer below reuses this reading)."""
        if not self.settings.reader:
            return None
        embed = self.retriever.embeddings.embed_documents
        state.reading = state.reading or read_context(state.question, state.context, embed)
        return [(e.text, e.passage) for e in state.reading.sentences]

    def read(self, state: State) -> None:
        """The short answer: yes/no first for a yes/no question; otherwise the answer policy
        picks the reader's span, the verified answer or a refusal (or, with the policy off,
        the span replaces the verified answer when the two agree)."""
        assert state.verdict is not None
        embed = self.retriever.embeddings.embed_documents
        # the policy was fitted on the bundled model's verified answers: without a model (the
        # extractive mode) the verified answer is a quote it never saw, so the rule decides
        by_rule = self.settings.policy == "off" or self.llm is None
        if state.question.asked not in TWO_WAY and by_rule:
            if state.verdict.refused:
                return
            state.reading = state.reading or read_context(state.question, state.context, embed)
            # measured with a model only: without one every answer is a quote (--llm none)
            if self.llm is not None and unbacked_quote(
                state.reading, state.verdict, state.question
            ):
                state.verdict = Verdict(REFUSAL, [], refused=True)
                return
            margin = self.settings.reader_margin
            if agrees(state.reading, state.verdict, margin, by_surname=True) or overrules(
                state.reading, state.verdict, self.settings.reader_overrule_margin
            ):
                state.verdict = short_answer(state.reading, state.context)
            return
        state.reading = state.reading or read_context(state.question, state.context, embed)
        if state.question.asked in TWO_WAY:
            if state.reading.answer is not None:
                state.verdict = yes_no(state.reading, state.verdict)
            return
        state.verdict, state.choice = apply_policy(state, self.policy or load_policy())

    def generate(self, state: State, llm: BaseLLM) -> Iterator[str]:
        started = time.perf_counter()
        parts: list[str] = []
        for part in stream_draft(llm, state.question, state.context):
            state.first_token_s = state.first_token_s or round(time.perf_counter() - started, 4)
            parts.append(part)
            yield part
        state.draft = "".join(parts)


def build_pipeline(settings: Settings, with_llm: bool = True, one_shot: bool = False) -> Pipeline:
    """Load the models and open the store named by the settings (`one_shot`: a command that
    answers once and exits, so start-up time matters most)."""
    from rag.models import for_store, make_embeddings, make_llm
    from rag.store import open_store

    store = open_store(settings)
    settings = for_store(settings, store.embedding_model)  # an unset model: the store's own
    # The model first. torch and llama.cpp share one OpenMP runtime (libgomp.so.1), set up by
    # whichever loads it first, and torch is imported with idle threads sleeping (see
    # rag.models.import_torch_waiting_passively). Loaded after torch, llama.cpp's threads
    # slept at every barrier too: 55 ms a token instead of 21 (scripts/bench_generation.py).
    llm = make_llm(settings) if with_llm else None
    embeddings = make_embeddings(settings, one_shot)
    retriever = NewsRetriever(store=store, embeddings=embeddings, mode=settings.retrieval_mode)
    return Pipeline(settings=settings, retriever=retriever, llm=llm)
