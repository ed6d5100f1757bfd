"""Stage: assemble the Answer. The model cites its prompt's passages; the reader sees sources
numbered by retrieval, so citations and evidence are renumbered here."""

from __future__ import annotations

from rag.answer import Answer, Source, Timings
from rag.passage import Passage
from rag.state import State
from rag.text import CITATION
from rag.verify import Verdict


def cited_numbers(context: list[Passage], ranked: list[Passage]) -> dict[int, int]:
    """Prompt passage number -> source number. The model sees a filtered subset of the
    retrieved articles, so its [2] may be the third source."""
    position = {p.doc_id: n for n, p in enumerate(ranked, start=1)}
    numbers = {}
    for prompt_n, passage in enumerate(context, start=1):
        source_n = position.get(passage.doc_id)
        if source_n is not None:
            numbers[prompt_n] = source_n
    return numbers


def sources_for(ranked: list[Passage], context: list[Passage], verdict: Verdict) -> list[Source]:
    """One source per retrieved article; a source the model was shown carries the evidence
    and, when another chunk of the article answered, that chunk as its snippet."""
    sources = [p.to_source(n) for n, p in enumerate(ranked, start=1)]
    for prompt_n, source_n in cited_numbers(context, ranked).items():
        passage, source = context[prompt_n - 1], sources[source_n - 1]
        if passage.id != ranked[source_n - 1].id:
            source.snippet = passage.text
        source.evidence = verdict.evidence.get(prompt_n, [])
    return sources


def assemble(state: State, timings: Timings) -> Answer:
    assert state.verdict is not None, "assemble runs after verification"
    number = cited_numbers(state.context, state.sources)
    text = CITATION.sub(
        lambda m: f"[{number.get(int(m.group(1)), m.group(1))}]", state.verdict.text
    )
    scope = state.question.scope
    return Answer(
        question=state.question.text,
        answer=text,
        refused=state.verdict.refused,  # decided by the gate or by verification, never re-read
        grounded=True,  # what is shown passed verification, or is a quote, or the refusal
        sources=sources_for(state.sources, state.context, state.verdict),
        cited=sorted({number.get(n, n) for n in state.verdict.cited}),
        search_query=state.question.search_query,
        time_scope=scope.as_dict() if scope else None,
        timings=timings,
    )
