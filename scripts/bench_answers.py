"""Answer benchmark: RGB (generator alone, with noise, rejection and counterfactual passages)
and dev.jsonl through the whole pipeline, for the bundled model, the extractive mode (no model)
and, when NEWSRAG_OPENAI_BASE_URL is set, an OpenAI-compatible model. Prints markdown tables.

  .venv/bin/python scripts/bench_answers.py --dev-data-dir DIR   # DIR: ../shared/datasets ingested
  .venv/bin/python scripts/bench_answers.py --rgb-limit 30 --modes extractive
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from eval.adapters import flatten, rgb_passages
from eval.metrics import answer_contains, percentile
from eval.runner import is_grounded, score_passages
from rag.answer import Answer
from rag.chain import Pipeline
from rag.config import Settings
from rag.retrieval import NewsRetriever
from rag.store import open_store

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "datasets"


def contains(answer: str, golds: object) -> bool:
    return bool(answer_contains(answer, flatten(golds)))


def rgb_documents(row: dict, noise: float | None, embeddings, counterfactual: bool = False):
    """RGB's 5 passages (eval.adapters), scored and ranked as retrieval would rank them."""
    texts = list(row["positive_wrong"])[:5] if counterfactual else rgb_passages(row, noise)
    return score_passages(row["query"], texts, embeddings)


def given(pipeline: Pipeline, row: dict, passages: list) -> Answer:
    """The answer step alone, over the passages handed over."""
    return pipeline.ask(row["query"], passages=passages).answer()


def bench_rgb(pipeline: Pipeline, embeddings, limit: int) -> dict[str, float]:
    rows = [json.loads(line) for line in (DATA / "rgb" / "en_fact.json").read_text().splitlines()]
    rows = rows[:limit] if limit else rows
    result: dict[str, float] = {}
    for label, noise in (("acc noise 0", 0.0), ("acc noise 0.4", 0.4), ("acc noise 0.8", 0.8)):
        hits = [
            contains(given(pipeline, r, rgb_documents(r, noise, embeddings)).answer, r["answer"])
            for r in rows
        ]
        result[label] = sum(hits) / len(hits)
    answers = [given(pipeline, r, rgb_documents(r, None, embeddings)) for r in rows]
    result["rejection (negatives only)"] = sum(a.refused for a in answers) / len(rows)
    fakes = [
        contains(given(pipeline, r, rgb_documents(r, 0, embeddings, True)).answer, r["fakeanswer"])
        for r in rows
    ]
    result["fake answer repeated"] = sum(fakes) / len(rows)
    return result


def bench_dev(pipeline: Pipeline) -> dict[str, float]:
    rows = [json.loads(line) for line in (DATA / "qa" / "dev.jsonl").read_text().splitlines()]
    pipeline.ask("warm-up question").answer()
    answers = [(r, pipeline.ask(r["question"], history=r["history"]).answer()) for r in rows]
    answerable = [(r, a) for r, a in answers if r["answers"]]
    unanswerable = [(r, a) for r, a in answers if not r["answers"]]
    shown = [a for _, a in answers if not a.refused]
    latencies = [a.timings.total_s for _, a in answers]
    first = [a.timings.first_token_s for _, a in answers if a.timings.first_token_s]
    hits = sum(contains(a.answer, r["answers"]) for r, a in answerable)
    return {
        "answer_contains": hits / len(answerable),
        "refusal_rate_unanswerable": sum(a.refused for _, a in unanswerable) / len(unanswerable),
        "false_refusal_rate": sum(a.refused for _, a in answerable) / len(answerable),
        "grounded_rate": sum(is_grounded(a) for a in shown) / max(1, len(shown)),
        "latency p50 s": statistics.median(latencies),
        "latency p95 s": percentile(latencies, 0.95),
        "first token p50 s": statistics.median(first) if first else float("nan"),
        "first token p95 s": percentile(first, 0.95) if first else float("nan"),
    }


def print_table(title: str, results: dict[str, dict[str, float]]) -> None:
    modes = list(results)
    print(f"\n### {title}\n\n| measure | " + " | ".join(modes) + " |")
    print("| --- " * (len(modes) + 1) + "|")
    for key in next(iter(results.values())):
        print(f"| {key} | " + " | ".join(f"{results[m][key]:.3f}" for m in modes) + " |")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--modes", nargs="+", default=["bundled", "extractive", "openai"])
    parser.add_argument("--rgb-limit", type=int, default=0)
    parser.add_argument("--dev-data-dir", type=Path, default=None)
    parser.add_argument("--no-rgb", action="store_true", help="only the dev set")
    args = parser.parse_args()
    from langchain_core.embeddings import Embeddings

    from rag.models import for_store, make_embeddings, make_llm

    loaded: dict[str, Embeddings] = {}  # embedding models by spec, loaded once
    specs = {"bundled": "llamacpp:bundled", "extractive": "none"}
    if os.environ.get("NEWSRAG_OPENAI_BASE_URL") and os.environ.get("NEWSRAG_OPENAI_MODEL"):
        specs["openai"] = f"openai:{os.environ['NEWSRAG_OPENAI_MODEL']}"
    rgb: dict[str, dict[str, float]] = {}
    dev: dict[str, dict[str, float]] = {}
    for mode in [m for m in args.modes if m in specs]:
        settings = Settings(
            llm=specs[mode], **({"data_dir": args.dev_data_dir} if args.dev_data_dir else {})
        )
        store = open_store(settings)
        settings = for_store(settings, store.embedding_model)  # the store's own model
        if settings.embedding not in loaded:
            loaded[settings.embedding] = make_embeddings(settings)
        embeddings = loaded[settings.embedding]
        pipeline = Pipeline(
            settings, NewsRetriever(store=store, embeddings=embeddings), make_llm(settings)
        )
        if not args.no_rgb:
            rgb[mode] = bench_rgb(pipeline, embeddings, args.rgb_limit)
        if args.dev_data_dir:
            dev[mode] = bench_dev(pipeline)
    if rgb:
        title = f"RGB en_fact, generator alone, 5 passages ({args.rgb_limit or 100} questions)"
        print_table(title, rgb)
    if dev:
        print_table("qa/dev.jsonl through the whole pipeline (models loaded)", dev)


if __name__ == "__main__":
    main()
