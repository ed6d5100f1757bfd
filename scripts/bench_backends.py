"""Retrieval benchmark by records backend (SQLite FTS5 vs PostgreSQL), on the fp32 model: dense
vs lexical vs hybrid on three sets. Prints markdown tables. (scripts/bench_retrieval.py
compares embedding models.)

  .venv/bin/python scripts/bench_backends.py            # all three sets
  .venv/bin/python scripts/bench_backends.py --sets dev multihop --limit 200
  .venv/bin/python scripts/bench_backends.py --database-url postgresql://postgres@host/postgres

With --database-url each set's store is also copied (newsrag migrate: records and lexical
index; the vectors stay) into a database of its own on that server, newsrag_bench_<set>, made
if missing, and both backends are measured in one table, with 95% bootstrap intervals for
hit@5 and mrr@10. --pg-ranking ts_rank_cd adds PostgreSQL's own ranking for comparison.

Sets (from ../shared/datasets):
  bbc       each BBC headline as a query for its own article (bodies ingested without line 1);
            an article whose body is identical to the gold one counts as a hit
  dev       qa/dev.jsonl answerable cases (follow-ups with their history), over seed/ + bbc/
  multihop  MultiHop-RAG facts grouped by (title, source, published_at) into articles;
            evidence recall@10 and the share of questions with all evidence in the top 10
The ingested stores are kept in --work-dir, so a second run embeds nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import SecretStr

from ingest.pipeline import ingest
from rag.chain import Pipeline
from rag.config import Settings
from rag.retrieval import NewsRetriever
from rag.store import open_store

sys.path.insert(0, str(Path(__file__).parent))
from bench_retrieval import (  # the same three sets, and the same relevance table
    prepare_bbc,
    prepare_dev,
    prepare_multihop,
    relevance_spread,
)

ROOT = Path(__file__).resolve().parents[1]

DATA = ROOT.parent / "shared" / "datasets"
MODES = ("dense", "lexical", "hybrid")
Case = tuple[str, list[dict], set[str]]  # question, history, gold doc ids


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Result:
    metrics: dict[str, float]
    per_case: dict[str, list[float]] = field(default_factory=dict)  # hit@5, mrr@10 per case


def build_pipeline(folder: Path, data_dir: Path, embeddings) -> Pipeline:
    settings = Settings(data_dir=data_dir)
    store = open_store(settings, "all-MiniLM-L6-v2")
    report = ingest([folder], store, embeddings, progress=True)
    print(
        f"<!-- {folder.name}: {report.added} added, {report.unchanged} unchanged, "
        f"{len(report.skipped)} skipped -->"
    )
    return Pipeline(settings, NewsRetriever(store=store, embeddings=embeddings), None)


def postgres_pipeline(embedded: Pipeline, server_url: str, name: str, embeddings) -> Pipeline:
    """The same store with its records and lexical index copied into PostgreSQL."""
    import psycopg

    from rag.migrate import migrate

    database = f"newsrag_bench_{name}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if not found.fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    url = server_url.rsplit("/", 1)[0] + f"/{database}"
    settings = embedded.settings.model_copy(update={"database_url": SecretStr(url)})
    print(f"<!-- {name}: {'; '.join(migrate(embedded.settings, settings).lines())} -->")
    store = open_store(settings, "all-MiniLM-L6-v2")
    return Pipeline(settings, NewsRetriever(store=store, embeddings=embeddings), None)


def interval(values: list[float], rounds: int = 1000) -> tuple[float, float]:
    """95% percentile bootstrap interval of the mean."""
    data = np.asarray(values, dtype=float)
    picks = np.random.default_rng(0).integers(0, len(data), size=(rounds, len(data)))
    means = data[picks].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def evaluate(pipeline: Pipeline, cases: list[Case], mode: str) -> Result:
    pipeline.retriever.mode = mode  # type: ignore[assignment]
    hit1 = hit5 = mrr = recall = all10 = 0.0
    latencies = []
    per_case: dict[str, list[float]] = {"hit@5": [], "mrr@10": []}
    for question, history, gold in cases:
        started = time.perf_counter()
        found = pipeline.retrieve(pipeline.question(question, history), k=10)
        latencies.append(time.perf_counter() - started)
        ranked = [p.doc_id for p in found]
        hits = [i for i, d in enumerate(ranked) if d in gold]
        hit1 += bool(hits and hits[0] == 0)
        hit5 += bool(hits and hits[0] < 5)
        mrr += 1 / (hits[0] + 1) if hits else 0.0
        per_case["hit@5"].append(float(bool(hits and hits[0] < 5)))
        per_case["mrr@10"].append(1 / (hits[0] + 1) if hits else 0.0)
        recall += len(set(ranked) & gold) / len(gold)
        all10 += gold <= set(ranked)
    n = len(cases)
    metrics = {
        "hit@1": hit1 / n,
        "hit@5": hit5 / n,
        "mrr@10": mrr / n,
        "recall@10": recall / n,
        "all@10": all10 / n,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * percentile(latencies, 0.95),
    }
    return Result(metrics, per_case)


def print_table(name: str, n: int, results: dict[tuple[str, str], Result]) -> None:
    """Rows: (backend, mode). hit@5 and mrr@10 with their 95% bootstrap intervals."""
    print(f"\n### {name} ({n} queries)\n")
    keys = ["hit@1", "hit@5", "mrr@10", "recall@10", "all@10", "p50_ms", "p95_ms"]
    print("| backend | mode | " + " | ".join(keys) + " |")
    print("| --- " * (len(keys) + 2) + "|")
    for (backend, mode), result in results.items():
        cells = []
        for key in keys:
            value = result.metrics[key]
            cells.append(f"{value:.0f}" if key.endswith("ms") else f"{value:.3f}")
            if key in result.per_case:
                low, high = interval(result.per_case[key])
                cells[-1] += f" [{low:.3f}, {high:.3f}]"
        print(f"| {backend} | {mode} | " + " | ".join(cells) + " |")
    within(results)


def within(results: dict[tuple[str, str], Result]) -> None:
    """Whether each PostgreSQL hybrid score lies inside FTS5's bootstrap interval."""
    reference = results[("sqlite-fts5", "hybrid")]
    for (backend, mode), result in results.items():
        if backend == "sqlite-fts5" or mode != "hybrid":
            continue
        verdicts = []
        for key in ("hit@5", "mrr@10"):
            low, high = interval(reference.per_case[key])
            value = result.metrics[key]
            verdicts.append(f"{key} {value:.3f} {'within' if low <= value <= high else 'OUTSIDE'}")
        print(f"\n{backend} hybrid vs FTS5's 95% interval: " + ", ".join(verdicts))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sets", nargs="+", default=["bbc", "dev", "multihop"])
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/newsrag-bench"))
    parser.add_argument("--limit", type=int, default=0, help="queries per set (0: all)")
    parser.add_argument(
        "--database-url", help="also measure PostgreSQL records (a server URL; see above)"
    )
    parser.add_argument("--pg-ranking", nargs="+", default=["bm25"], choices=["bm25", "ts_rank_cd"])
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"needs the data sets in {DATA}")
    from rag.models import make_embeddings

    embeddings = make_embeddings(Settings())
    prepare: dict[str, Callable[[], tuple[Path, list[Case]]]] = {
        "bbc": lambda: prepare_bbc(args.work_dir),
        "dev": prepare_dev,
        "multihop": lambda: prepare_multihop(args.work_dir),
    }
    for name in args.sets:
        folder, cases = prepare[name]()
        pipeline = build_pipeline(folder, args.work_dir / f"store-{name}", embeddings)
        cases = cases[: args.limit] if args.limit else cases
        pipeline.retrieve(pipeline.question("warm up"))
        results = {("sqlite-fts5", mode): evaluate(pipeline, cases, mode) for mode in MODES}
        if args.database_url:
            other = postgres_pipeline(pipeline, args.database_url, name, embeddings)
            other.retrieve(other.question("warm up"))
            for ranking in args.pg_ranking:
                other.retriever.store.records.ranking = ranking  # type: ignore[attr-defined]
                for mode in MODES if ranking == args.pg_ranking[0] else MODES[1:]:
                    results[(f"postgresql-{ranking}", mode)] = evaluate(other, cases, mode)
        print_table(name, len(cases), results)
        if name == "dev":
            pipeline.retriever.mode = "hybrid"
            relevance_spread(pipeline, "SQLite FTS5")
        sys.stdout.flush()


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n<!-- {time.perf_counter() - started:.0f} s -->")
