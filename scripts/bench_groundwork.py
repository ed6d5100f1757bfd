"""Groundwork benchmark: ingestion chunks/s (with the raw encoder beside it), unchanged re-ingest,
and `ask` latency with the models loaded. Prints markdown tables; asserts nothing.

  .venv/bin/python scripts/bench_groundwork.py                       # sample corpus + questions
  .venv/bin/python scripts/bench_groundwork.py --articles 300 --questions 20
  .venv/bin/python scripts/bench_groundwork.py --dataset ../shared/datasets/qa/dev.jsonl \
      --ask-data-dir DIR   # DIR: a data dir where ../shared/datasets was ingested
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from ingest.chunking import chunk_article, embedding_text
from ingest.loaders import load_article_bytes
from ingest.pipeline import IngestReport, discover, ingest
from rag.chain import Pipeline
from rag.config import Settings
from rag.retrieval import NewsRetriever
from rag.store import open_store

ROOT = Path(__file__).resolve().parents[1]

BBC = ROOT.parent / "shared" / "datasets" / "bbc"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def pick_articles(count: int, into: Path) -> Path:
    """Copy `count` BBC files, spread over the five sections, into a fresh folder."""
    files = sorted(BBC.rglob("*.txt"))
    step = max(1, len(files) // count)
    for path in files[::step][:count]:
        target = into / path.relative_to(BBC)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return into


def encoder_only(folder: Path, embeddings, chunk_chars: int) -> tuple[int, float]:
    texts = []
    for item in discover([folder], IngestReport()):
        for article in load_article_bytes(item.path.read_bytes(), ".txt", item.doc_id, "bbc"):
            texts.extend(embedding_text(article, c) for c in chunk_article(article, chunk_chars))
    started = time.perf_counter()
    embeddings.embed_documents(texts)
    return len(texts), time.perf_counter() - started


def bench_ingest(args, embeddings, work: Path) -> None:
    settings = Settings(data_dir=work / "ingest-data")
    folder = (
        pick_articles(args.articles, work / "bbc") if BBC.is_dir() else ROOT / "rag/sample_corpus"
    )
    store = open_store(settings, "all-MiniLM-L6-v2")
    first = ingest([folder], store, embeddings, chunk_chars=settings.chunk_chars)
    again = ingest([folder], store, embeddings, chunk_chars=settings.chunk_chars)
    n_chunks, encoder_s = encoder_only(folder, embeddings, settings.chunk_chars)
    pipeline_rate = first.chunks_written / first.seconds
    encoder_rate = n_chunks / encoder_s
    print(f"\n### Ingestion ({first.added} articles, {first.chunks_written} chunks)\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| pipeline chunks/s | {pipeline_rate:.1f} |")
    print(f"| raw encoder chunks/s (same chunks) | {encoder_rate:.1f} |")
    print(f"| pipeline overhead vs encoder | {100 * (encoder_rate / pipeline_rate - 1):.1f}% |")
    print(f"| re-ingest, {again.unchanged} unchanged articles | {again.seconds:.2f} s |")
    print(f"| chunks written by the re-ingest | {again.chunks_written} |")


def bench_ask(args, embeddings, llm, work: Path) -> None:
    if args.ask_data_dir:
        settings = Settings(data_dir=Path(args.ask_data_dir))
        store = open_store(settings, "all-MiniLM-L6-v2")
    else:
        settings = Settings(data_dir=work / "ask-data")
        store = open_store(settings, "all-MiniLM-L6-v2")
        ingest([ROOT / "rag/sample_corpus"], store, embeddings)
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
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--dataset", default=str(ROOT / "eval/sample_questions.jsonl"))
    parser.add_argument("--ask-data-dir", default=None)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()

    from rag.models import make_embeddings, make_llm

    started = time.perf_counter()
    embeddings = make_embeddings(Settings())
    loaded_embeddings = time.perf_counter()
    llm = make_llm(Settings())
    loaded_llm = time.perf_counter()
    print("### Model load\n\n| model | seconds |\n| --- | --- |")
    print(f"| all-MiniLM-L6-v2 (import + load) | {loaded_embeddings - started:.2f} |")
    print(f"| Gemma 3 270M GGUF (llama.cpp) | {loaded_llm - loaded_embeddings:.2f} |")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_ingest:
            bench_ingest(args, embeddings, Path(tmp))
        bench_ask(args, embeddings, llm, Path(tmp))


if __name__ == "__main__":
    main()
