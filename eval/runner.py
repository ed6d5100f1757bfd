"""Run evaluation cases through the same pipeline the chat uses, and score each one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from langchain_core.embeddings import Embeddings

from eval import metrics
from eval.cases import EvalCase
from rag.answer import Answer
from rag.asked import choice_options
from rag.chain import Pipeline
from rag.passage import Passage
from rag.text import CITATION, split_sentences
from rag.verify import claim_terms

RANKED_DEPTH = 10  # recall@10 and mrr@10 need ten articles, whatever -k the answer used

# name -> higher is better; the order is the report's
QUALITY_METRICS: dict[str, bool] = {
    "hit@1": True,
    "hit@5": True,
    "recall@10": True,
    "mrr@10": True,
    "answer_contains": True,
    "exact_match": True,
    "token_f1": True,
    "refusal_rate_unanswerable": True,
    "false_refusal_rate": False,
    # answerable, answered, and the answer lacks the gold: what a refusal of a wrong answer
    # removes, though false_refusal_rate counts that refusal against it
    "wrong_answer_rate": False,
    "grounded_rate": True,
}
FAMILIES = {
    "retrieval": ["hit@1", "hit@5", "recall@10", "mrr@10"],
    "answers": ["answer_contains", "exact_match", "token_f1"],
    "behaviour": [
        "refusal_rate_unanswerable",
        "false_refusal_rate",
        "wrong_answer_rate",
        "grounded_rate",
    ],
}


def score_passages(question: str, texts: list[str], embeddings: Embeddings) -> list[Passage]:
    """Passages handed over by the case, scored and ranked as retrieval would rank them."""
    query = embeddings.embed_query(question)
    vectors = embeddings.embed_documents(texts)
    passages = [
        Passage(
            f"passage-{n}", 0, text, score=sum(a * b for a, b in zip(query, vector, strict=True))
        )
        for n, (text, vector) in enumerate(zip(texts, vectors, strict=True), start=1)
    ]
    return sorted(passages, key=lambda p: p.score, reverse=True)


def is_grounded(answer: Answer) -> bool:
    """Every number and proper name of the answer appears in a source it cites."""
    cited = " ".join(f"{s.title} {s.snippet}" for s in answer.sources if s.n in answer.cited)
    said = CITATION.sub("", answer.answer).strip("“” ")
    # sentence by sentence, as verification reads it: a second sentence's "She" is no name
    options = choice_options(answer.question) or ()
    terms = [term for part in split_sentences(said) for term in claim_terms(part, options)]
    return all(term.lower() in cited.lower() for term in terms)


def run_case(pipeline: Pipeline, case: EvalCase, k: int | None) -> dict[str, Any]:
    if case.passages is not None:
        given = score_passages(case.question, case.passages, pipeline.retriever.embeddings)
        return score_case(case, pipeline.ask(case.question, passages=given).answer(), None)
    # one retrieval: RANKED_DEPTH articles for the ranking metrics, the first k answer
    response = pipeline.ask(case.question, k=k, history=case.turns(), depth=RANKED_DEPTH)
    answer = response.answer()
    return score_case(case, answer, [p.doc_id for p in response.state.ranked])


def score_case(case: EvalCase, answer: Answer, retrieved: list[str] | None) -> dict[str, Any]:
    """One row of report.json's `cases`: what was asked, said and found, and its scores."""
    ranked = metrics.distinct(retrieved or [])
    relevant = set(case.doc_ids)
    scores: dict[str, float | None] = dict.fromkeys(QUALITY_METRICS)
    if case.answerable:
        scores |= {
            "answer_contains": metrics.answer_contains(answer.answer, case.answers),
            "exact_match": metrics.exact_match(answer.answer, case.answers),
            "token_f1": round(metrics.token_f1(answer.answer, case.answers), 4),
        }
        if retrieved is not None and relevant:
            scores |= {
                "hit@1": metrics.hit_at_k(ranked, relevant, 1),
                "hit@5": metrics.hit_at_k(ranked, relevant, 5),
                "recall@10": round(metrics.recall_at_k(ranked, relevant, 10), 4),
                "mrr@10": round(metrics.reciprocal_rank(ranked, relevant, 10), 4),
            }
    scores["refusal_rate_unanswerable"] = None if case.answerable else float(answer.refused)
    scores["false_refusal_rate"] = float(answer.refused) if case.answerable else None
    wrong = not answer.refused and not scores["answer_contains"]
    scores["wrong_answer_rate"] = float(wrong) if case.answerable else None
    scores["grounded_rate"] = None if answer.refused else float(is_grounded(answer))
    row: dict[str, Any] = {
        "id": case.id,
        "type": case.type,
        "question": case.question,
        "gold": case.answers,
        "gold_doc_ids": case.doc_ids,
        "answer": answer.answer,
        "refused": answer.refused,
        "retrieved_doc_ids": ranked,
        "cited": [
            {
                "n": s.n,
                "doc_id": s.doc_id,
                "title": s.title,
                "published": s.published,
                "url": s.url,
                "evidence": s.evidence,
            }
            for s in answer.sources
            if s.n in answer.cited
        ],
        **scores,
        "latency_s": answer.timings.total_s,
        "first_token_s": answer.timings.first_token_s,
    }
    row["failures"] = failures(row)
    return row


def failures(row: dict[str, Any]) -> list[str]:
    """What went wrong with a case, in words, for the report's reader."""
    found: list[str] = []
    if row["gold"]:
        if row["refused"]:
            found.append("refused an answerable question")
        elif not row["answer_contains"]:
            found.append("answer lacks the gold answer")
        if row["hit@5"] == 0.0:
            found.append("no gold article in the top 5")
    elif not row["refused"]:
        found.append("answered a question the articles cannot answer")
    if row["grounded_rate"] == 0.0:
        found.append("names or numbers not in the cited sources")
    return found


def evaluate(
    pipeline: Pipeline,
    cases: Iterable[EvalCase],
    k: int | None = None,
    on_case: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        rows.append(run_case(pipeline, case, k))
        if on_case:
            on_case(rows[-1])
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """The headline metrics: quality averaged over the cases each applies to, then latency."""
    summary: dict[str, float | None] = {}
    for name in QUALITY_METRICS:
        value = metrics.mean(values(rows, name))
        summary[name] = None if value is None else round(value, 4)
    latencies = [r["latency_s"] for r in rows]
    summary["latency_p50_s"] = metrics.percentile(latencies, 0.5)
    summary["latency_p95_s"] = metrics.percentile(latencies, 0.95)
    return summary


def values(rows: list[dict[str, Any]], name: str) -> list[float]:
    return [float(r[name]) for r in rows if r.get(name) is not None]


def by_type(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["type"], []).append(row)
    return {kind: {"n": len(group), **summarise(group)} for kind, group in sorted(groups.items())}
