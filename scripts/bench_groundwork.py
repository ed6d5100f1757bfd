"""Groundwork benchmark: ingestion chunks/s end to end beside the raw encoder on the same chunks
(each embedding model, alternating, in one process), where the time went, unchanged re-ingest,
and `ask` latency with the models loaded. Prints markdown tables; asserts nothing.

  .venv/bin/python scripts/bench_groundwork.py                       # sample corpus + questions
  .venv/bin/python scripts/bench_groundwork.py --articles 300 --rounds 2 --skip-ask
  .venv/bin/python scripts/bench_groundwork.py --corpus ../shared/datasets --models int8
  .venv/bin/python scripts/bench_groundwork.py --dataset ../shared/datasets/qa/dev.jsonl \
      --ask-data-dir DIR   # DIR: a data dir where ../shared/datasets was ingested
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from ingest.batch import prepare
from ingest.pipeline import IngestReport, discover, ingest, parse_file, read_file
from rag.chain import Pipeline
from rag.config import Settings
from rag.models import for_store
from rag.retrieval import NewsRetriever
from rag.store import open_store

ROOT = Path(__file__).resolve().parents[1]

BBC = ROOT.parent / "shared" / "datasets" / "bbc"
MODELS = {"fp32": "bundled:all-MiniLM-L6-v2", "int8": "bundled:all-MiniLM-L6-v2-int8"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def pick_articles(count: int, into: Path) -> Path:
    """Copy `count` BBC files, spread over the five sections, into a fresh folder."""
    files = sorted(BBC.rglob("*.txt"))
    step = max(1, len(files) // count)
    for path in files[::step][:count]:
        target = into / path.relative_to(BBC)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return into


def chunk_texts(folder: Path, chunk_chars: int) -> list[str]:
    """What the pipeline embeds for these files: each chunk with its article's header."""
    texts: list[str] = []
    for item in discover([folder], IngestReport()):
        try:
            articles = parse_file(read_file(item.path), item, None)
        except Exception:  # skipped by the pipeline too
            continue
        for article in articles:
            texts.extend(prepare(article, "", "", chunk_chars).to_embed)
    return texts


def timed(action) -> tuple[float, float]:
    """Wall and CPU seconds (this process, all threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def raw_encoder(embeddings, texts: list[str]) -> dict[str, float]:
    wall, cpu = timed(lambda: embeddings.embed_documents(texts))
    return {"rate": len(texts) / wall, "cpu": cpu}


def end_to_end(model: str, embeddings, folder: Path, work: Path, **options) -> dict[str, float]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(dir=work)), embedding=MODELS[model])
    store = open_store(settings)  # a fresh folder each time: Chroma caches clients by path
    reports: list[IngestReport] = []
    _, cpu = timed(lambda: reports.append(ingest([folder], store, embeddings, **options)))
    report = reports[0]
    shares = {
        name: getattr(report, f"{name}_seconds") / report.seconds
        for name in ("parse", "encode", "write", "encoder_idle")
    }
    again = ingest([folder], store, embeddings)
    return {
        "rate": report.chunks_written / report.seconds,
        "cpu": cpu,
        "chunks": report.chunks_written,
        "reingest_s": again.seconds,
        **shares,
    }


def bench_ingest(args, models: dict, work: Path) -> None:
    folder = Path(args.corpus) if args.corpus else None
    if folder is None:
        folder = pick_articles(args.articles, work / "bbc") if BBC.is_dir() else None
    folder = folder or ROOT / "rag/sample_corpus"
    texts = chunk_texts(folder, Settings().chunk_chars)
    print(f"\n### Ingestion: {folder} ({len(texts)} chunks), load {load()} (1/5/15 min)\n")
    print(
        "| model | round | end to end chunks/s | raw encoder chunks/s | overhead | "
        "encoder busy | encoder idle | parse | write | CPU s/100 chunks e2e / raw | load |"
    )
    print("| --- " * 11 + "|")
    rows: dict[str, list[tuple[dict, dict]]] = {m: [] for m in models}
    options = {"batch_chunks": args.batch_chunks} if args.batch_chunks else {}
    for round_ in range(1, args.rounds + 1):
        for model, embeddings in models.items():
            if round_ % 2:
                raw = raw_encoder(embeddings, texts)
                e2e = end_to_end(model, embeddings, folder, work, **options)
            else:
                e2e = end_to_end(model, embeddings, folder, work, **options)
                raw = raw_encoder(embeddings, texts)
            rows[model].append((e2e, raw))
            print_row(model, str(round_), e2e, raw, len(texts))
    for model, pairs in rows.items():
        if len(pairs) > 1:
            e2e = {k: statistics.median(p[0][k] for p in pairs) for k in pairs[0][0]}
            raw = {k: statistics.median(p[1][k] for p in pairs) for k in pairs[0][1]}
            print_row(model, "median", e2e, raw, len(texts))
    for model, pairs in rows.items():
        print(f"\nre-ingest of the unchanged files ({model}): {pairs[-1][0]['reingest_s']:.2f} s")


def print_row(model: str, round_: str, e2e: dict, raw: dict, n: int) -> None:
    cpu = f"{100 * e2e['cpu'] / e2e['chunks']:.2f} / {100 * raw['cpu'] / n:.2f}"
    print(
        f"| {model} | {round_} | {e2e['rate']:.1f} | {raw['rate']:.1f} | "
        f"{100 * (raw['rate'] / e2e['rate'] - 1):+.1f}% | {100 * e2e['encode']:.0f}% | "
        f"{100 * e2e['encoder_idle']:.1f}% | {100 * e2e['parse']:.1f}% | "
        f"{100 * e2e['write']:.1f}% | {cpu} | {load()} |",
        flush=True,
    )


def bench_ask(args, models: dict, llm, work: Path) -> None:
    if args.ask_data_dir:
        settings = Settings(data_dir=Path(args.ask_data_dir))
        store = open_store(settings)
    else:
        settings = Settings(data_dir=work / "ask-data", embedding=MODELS[next(iter(models))])
        store = open_store(settings)
        ingest([ROOT / "rag/sample_corpus"], store, models[next(iter(models))])
    settings = for_store(settings, store.embedding_model)  # the store's own model
    from rag.models import make_embeddings

    embeddings = next((e for m, e in models.items() if MODELS[m] == settings.embedding), None)
    embeddings = embeddings or make_embeddings(settings)
    pipeline = Pipeline(settings, NewsRetriever(store=store, embeddings=embeddings), llm)
    cases = [json.loads(line) for line in Path(args.dataset).read_text().splitlines() if line]
    cases = [c for c in cases if not c.get("history")][: args.questions]
    pipeline.ask("warm-up question about the news").answer()
    rows = []
    for case in cases:
        answer = pipeline.ask(case["question"]).answer()
        hit = any(a.lower() in answer.answer.lower() for a in case["answers"])
        rows.append((case, answer, hit))
    totals = [a.timings.total_s for _, a, _ in rows]
    retrieve = [a.timings.retrieve_s for _, a, _ in rows]
    generate = [a.timings.generate_s for _, a, r in rows if not a.refused]
    answerable = [(c, a, h) for c, a, h in rows if c["answers"]]
    unanswerable = [(c, a, h) for c, a, h in rows if not c["answers"]]
    print(f"\n### ask ({len(rows)} questions from {Path(args.dataset).name}, models loaded)\n")
    print("| measure | p50 | p95 |\n| --- | --- | --- |")
    for name, values in (
        ("total s", totals),
        ("retrieve s", retrieve),
        ("generate s (answered)", generate),
    ):
        if values:
            print(f"| {name} | {statistics.median(values):.3f} | {percentile(values, 0.95):.3f} |")
    contains = sum(h for _, _, h in answerable) / max(1, len(answerable))
    false_refusals = sum(a.refused for _, a, _ in answerable) / max(1, len(answerable))
    print(
        f"\nanswer contains gold: {contains:.2f} of {len(answerable)} answerable; "
        f"false refusals {false_refusals:.2f}; refused {sum(a.refused for _, a, _ in unanswerable)}"
        f" of {len(unanswerable)} unanswerable"
    )
    if args.verbose:
        for case, answer, hit in rows:
            print(f"- {'ok ' if hit else '-- '}{case['question']} -> {answer.answer[:120]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=300, help="BBC articles to ingest")
    parser.add_argument("--corpus", default=None, help="ingest this folder instead")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--rounds", type=int, default=1, help="alternating measurements")
    parser.add_argument("--batch-chunks", type=int, default=0, help="0: ingest's default")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--dataset", default=str(ROOT / "eval/sample_questions.jsonl"))
    parser.add_argument("--ask-data-dir", default=None)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-ask", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()

    from rag.models import make_embeddings, make_llm

    print(f"### Model load (load {load()})\n\n| model | seconds |\n| --- | --- |")
    models = {}
    for model in args.models:
        started = time.perf_counter()
        models[model] = make_embeddings(Settings(embedding=MODELS[model]))
        models[model].embed_documents(["warm up"])
        print(
            f"| {MODELS[model]} (import, load, first text) | {time.perf_counter() - started:.2f} |"
        )
    llm = None
    if not args.skip_ask:
        started = time.perf_counter()
        llm = make_llm(Settings())
        print(f"| Gemma 3 270M GGUF (llama.cpp) | {time.perf_counter() - started:.2f} |")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_ingest:
            bench_ingest(args, models, Path(tmp))
        if not args.skip_ask:
            bench_ask(args, models, llm, Path(tmp))


if __name__ == "__main__":
    main()
