"""Retrieval benchmark: dense vs lexical vs hybrid on three sets, for each embedding model
(fp32 and int8 MiniLM by default) side by side, with 95% bootstrap intervals and the paired
interval of each model's difference from the first. Prints markdown tables.

  .venv/bin/python scripts/bench_retrieval.py            # all three sets, fp32 and int8
  .venv/bin/python scripts/bench_retrieval.py --sets dev multihop --limit 200 --models fp32

Sets (from ../shared/datasets):
  bbc       each BBC headline as a query for its own article (bodies ingested without line 1);
            an article whose body is identical to the gold one counts as a hit
  dev       qa/dev.jsonl answerable cases (follow-ups with their history), over seed/ + bbc/
  multihop  MultiHop-RAG facts grouped by (title, source, published_at) into articles;
            evidence recall@10 and the share of questions with all evidence in the top 10
The ingested stores are kept in --work-dir (store-SET-MODEL), so a second run embeds nothing;
an existing store may be put there (a copy, or a link to a store of the same files).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from eval.adapters import multihop_cases
from eval.stats import bootstrap_ci, paired_bootstrap_ci
from ingest.pipeline import ingest
from rag.chain import Pipeline
from rag.config import Settings
from rag.retrieval import NewsRetriever
from rag.store import open_store

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "datasets"
MODES = ("dense", "lexical", "hybrid")
MODELS = {"fp32": "bundled:all-MiniLM-L6-v2", "int8": "bundled:all-MiniLM-L6-v2-int8"}
KEYS = ["hit@1", "hit@5", "mrr@10", "recall@10", "all@10"]
Case = tuple[str, list[dict], set[str]]  # question, history, gold doc ids


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def build_pipeline(folder: Path, data_dir: Path, embeddings, model: str) -> Pipeline:
    settings = Settings(data_dir=data_dir, embedding=MODELS[model])
    store = open_store(settings)  # refuses a store built with the other model
    report = ingest([folder], store, embeddings, progress=True)
    print(
        f"<!-- {folder.name} ({model}): {report.added} added, {report.unchanged} unchanged, "
        f"{len(report.skipped)} skipped, {report.chunks_written} chunks in {report.seconds:.0f} s"
        " -->"
    )
    return Pipeline(settings, NewsRetriever(store=store, embeddings=embeddings), None)


def prepare_bbc(work: Path) -> tuple[Path, list[Case]]:
    folder = work / "bbc-bodies" / "bbc"
    by_body: dict[str, set[str]] = {}
    headlines: list[tuple[str, str, str]] = []
    for path in sorted((DATA / "bbc").rglob("*.txt")):
        if path.name.lower().startswith("readme"):
            continue
        raw = path.read_bytes()
        text = raw.decode("utf-8") if is_utf8(raw) else raw.decode("cp1252")
        headline, _, body = text.partition("\n")
        doc_id = "bbc/" + path.relative_to(DATA / "bbc").with_suffix("").as_posix()
        target = folder / path.relative_to(DATA / "bbc")
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body.strip() + "\n", encoding="utf-8")
        digest = hashlib.sha256(" ".join(body.split()).encode()).hexdigest()
        by_body.setdefault(digest, set()).add(doc_id)
        headlines.append((headline.strip(), doc_id, digest))
    cases = [(h, [], by_body[digest]) for h, _, digest in headlines]
    return folder.parent, cases


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def prepare_dev() -> tuple[Path, list[Case]]:
    rows = [json.loads(line) for line in (DATA / "qa" / "dev.jsonl").read_text().splitlines()]
    cases = [(r["question"], r["history"], set(r["doc_ids"])) for r in rows if r["answers"]]
    return DATA, cases


def prepare_multihop(work: Path) -> tuple[Path, list[Case]]:
    """The same articles and cases as `newsrag eval --dataset multihop:...` (eval.adapters)."""
    cases, corpus = multihop_cases(DATA / "multihop", work / "multihop-articles")
    return corpus, [(c.question, [], set(c.doc_ids)) for c in cases if c.doc_ids]


def evaluate(pipeline: Pipeline, cases: list[Case], mode: str) -> dict[str, list[float]]:
    """Per query: each metric of KEYS, and the latency in ms."""
    pipeline.retriever.mode = mode  # type: ignore[assignment]
    scores: dict[str, list[float]] = {key: [] for key in [*KEYS, "ms"]}
    for question, history, gold in cases:
        started = time.perf_counter()
        found = pipeline.retrieve(pipeline.question(question, history), k=10)
        scores["ms"].append(1000 * (time.perf_counter() - started))
        ranked = [p.doc_id for p in found]
        hits = [i for i, d in enumerate(ranked) if d in gold]
        scores["hit@1"].append(float(bool(hits and hits[0] == 0)))
        scores["hit@5"].append(float(bool(hits and hits[0] < 5)))
        scores["mrr@10"].append(1 / (hits[0] + 1) if hits else 0.0)
        scores["recall@10"].append(len(set(ranked) & gold) / len(gold))
        scores["all@10"].append(float(gold <= set(ranked)))
    return scores


def print_table(name: str, n: int, results: dict[tuple[str, str], dict[str, list[float]]]) -> None:
    """One row per model and mode: mean [95% bootstrap interval]; then, per mode, each other
    model's paired difference from the first model with its interval."""
    print(f"\n### {name} ({n} queries)\n")
    print("| model | mode | " + " | ".join(KEYS) + " | p50 ms |")
    print("| --- " * (len(KEYS) + 3) + "|")
    for (model, mode), scores in results.items():
        cells = [with_interval(scores[k]) for k in KEYS]
        ms = statistics.median(scores["ms"])
        print(f"| {model} | {mode} | " + " | ".join(cells) + f" | {ms:.0f} |")
    models = list(dict.fromkeys(model for model, _ in results))
    for other in models[1:]:
        for mode in MODES:
            base, new = results[(models[0], mode)], results[(other, mode)]
            cells = [paired(base[k], new[k]) for k in KEYS]
            print(f"| {other} − {models[0]} | {mode} | " + " | ".join(cells) + " | |")


def with_interval(values: list[float]) -> str:
    low, high = bootstrap_ci(values) or (0.0, 0.0)
    return f"{statistics.fmean(values):.3f} [{low:.3f}, {high:.3f}]"


def paired(before: list[float], after: list[float]) -> str:
    change, low, high = paired_bootstrap_ci(before, after) or (0.0, 0.0, 0.0)
    return f"{change:+.3f} [{low:+.3f}, {high:+.3f}]"


def relevance_spread(pipeline: Pipeline, model: str) -> None:
    """Best-passage cosine for answerable vs unanswerable dev cases and off-topic questions."""
    rows = [json.loads(line) for line in (DATA / "qa" / "dev.jsonl").read_text().splitlines()]
    off_topic = [
        "Who won the 2030 World Cup?",
        "What is the capital of the Mars colony?",
        "How do I bake sourdough bread?",
        "Which team won the 2031 Super Bowl?",
        "What is the boiling point of mercury?",
        "Who wrote the Harry Potter books?",
    ]
    groups: dict[str, list[float]] = {"answerable": [], "unanswerable (near miss)": []}
    for r in rows:
        found = pipeline.retrieve(pipeline.question(r["question"], r["history"]), k=3)
        best = max((p.score for p in found), default=0.0)
        groups["answerable" if r["answers"] else "unanswerable (near miss)"].append(best)
    groups["off-topic"] = [
        max((p.score for p in pipeline.retrieve(pipeline.question(q), k=3)), default=0.0)
        for q in off_topic
    ]
    print(f"\n### Best-passage cosine similarity ({model}, hybrid), for the refusal threshold\n")
    print("| group | n | min | p10 | median | max |\n| --- | --- | --- | --- | --- | --- |")
    for name, values in groups.items():
        print(
            f"| {name} | {len(values)} | {min(values):.3f} | {percentile(values, 0.1):.3f} | "
            f"{statistics.median(values):.3f} | {max(values):.3f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sets", nargs="+", default=["bbc", "dev", "multihop"])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/newsrag-bench"))
    parser.add_argument("--limit", type=int, default=0, help="queries per set (0: all)")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"needs the data sets in {DATA}")
    from rag.models import make_embeddings

    models = {m: make_embeddings(Settings(embedding=MODELS[m])) for m in args.models}
    prepare: dict[str, Callable[[], tuple[Path, list[Case]]]] = {
        "bbc": lambda: prepare_bbc(args.work_dir),
        "dev": prepare_dev,
        "multihop": lambda: prepare_multihop(args.work_dir),
    }
    for name in args.sets:
        folder, cases = prepare[name]()
        cases = cases[: args.limit] if args.limit else cases
        results: dict[tuple[str, str], dict[str, list[float]]] = {}
        for model, embeddings in models.items():
            store_dir = args.work_dir / f"store-{name}-{model}"
            pipeline = build_pipeline(folder, store_dir, embeddings, model)
            pipeline.retrieve(pipeline.question("warm up"))
            results |= {(model, mode): evaluate(pipeline, cases, mode) for mode in MODES}
            if name == "dev":
                pipeline.retriever.mode = "hybrid"
                relevance_spread(pipeline, model)
        print_table(name, len(cases), results)
        sys.stdout.flush()


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n<!-- {time.perf_counter() - started:.0f} s -->")
