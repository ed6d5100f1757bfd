"""Probe yes/no decisions on MultiHop-RAG's yes/no questions: retrieve as the pipeline does,
then compare decision rules, chosen on even query ids and checked on odd ones.

    newsrag ingest ARTICLES --data-dir STORE   # ARTICLES: eval.adapters.multihop_cases' folder
    PYTHONPATH=. python scripts/probe_yes_no.py --multihop ../shared/datasets/multihop \
        --data-dir STORE [--gemma]

Prints a table of accuracies; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval.adapters import multihop_cases
from rag.chain import Pipeline, build_pipeline
from rag.config import Settings
from rag.context import select, shape
from rag.reader import _NEGATION, rank_sentences
from rag.state import State


def evidence(pipeline: Pipeline, question: str) -> list[str]:
    """The context sentences, best first, as the reader ranks them."""
    state = State(pipeline.question(question), pipeline.settings.top_k)
    state.ranked = pipeline.retrieve(state.question, state.k)
    state.selected = select(state.sources, pipeline.settings.context_passages)
    context = shape(state.selected, state.question, pipeline.settings, pipeline.retriever)
    embed = pipeline.retriever.embeddings.embed_documents
    return [s.text for s in rank_sentences(question, [p.text for p in context], embed)]


def decisions(question: str, sentences: list[str], scorer: Any) -> dict[str, bool]:
    """Each rule's 'yes' (True) or 'no' for one question."""
    best = sentences[0] if sentences else ""
    q_neg, s_neg = bool(_NEGATION.search(question)), bool(_NEGATION.search(best))
    said = {
        "evidence negates -> no (old rule)": not s_neg,
        "polarity agreement (shipped)": q_neg == s_neg,
        "always yes": True,
        "question negates -> no": not q_neg,
    }
    if scorer is not None:
        said["Gemma calibrated log-odds"] = scorer.yes_no(question, " ".join(sentences[:3])) >= 0
    return said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--multihop", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--gemma", action="store_true", help="also the bundled model's log-odds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases, _ = multihop_cases(args.multihop, Path(tmp))
    asked = [c for c in cases if c.answers and c.answers[0].lower() in ("yes", "no")]
    pipeline = build_pipeline(Settings(data_dir=args.data_dir), with_llm=False)
    scorer = None
    if args.gemma:
        from rag.scorer import GemmaScorer

        scorer = GemmaScorer.bundled()
    right: dict[str, dict[str, list[bool]]] = {}
    for case in asked:
        half = "even" if int(case.id.rsplit("-", 1)[1]) % 2 == 0 else "odd"
        gold = case.answers[0].lower() == "yes"
        for rule, yes in decisions(
            case.question, evidence(pipeline, case.question), scorer
        ).items():
            right.setdefault(rule, {"even": [], "odd": []})[half].append(yes == gold)
    print(f"{len(asked)} yes/no questions\n\n| decision | even | odd |\n| --- | --- | --- |")
    for rule, halves in right.items():
        even, odd = halves["even"], halves["odd"]
        print(f"| {rule} | {sum(even) / len(even):.3f} | {sum(odd) / len(odd):.3f} |")


if __name__ == "__main__":
    main()
