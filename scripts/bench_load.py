"""Load on the chat app: N concurrent questions through gradio_client against a running app,
with the real bundled models or a stub model whose latency is set. Prints answered / busy /
failed and latency p50/p95. The app's queue holds 32; past that a request is told "busy".

  .venv/bin/python scripts/bench_load.py --requests 50 --stub-latency 0.5
  .venv/bin/python scripts/bench_load.py --requests 50 --data-dir DIR   # bundled models
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

QUESTIONS = [
    "Who took over the Non-Aligned Movement chair?",
    "Which country became NATO's 32nd member?",
    "Who won the Euro 2024 final?",
    "Who won the 2030 World Cup?",
]


def start_app(args: argparse.Namespace) -> tuple[Any, str]:
    from ingest.pipeline import ingest
    from rag.chain import Pipeline, build_pipeline
    from rag.config import Settings
    from ui.app import launch
    from ui.cli import sample_corpus_dir

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="newsrag-load-"))
    settings = Settings(data_dir=data_dir)
    pipeline = build_pipeline(settings, with_llm=args.stub_latency is None)
    if not args.data_dir:
        ingest([sample_corpus_dir()], pipeline.retriever.store, pipeline.retriever.embeddings)
    if args.stub_latency is not None:
        from langchain_core.language_models.fake import FakeListLLM

        stub = FakeListLLM(responses=["Uganda took over the chair [1]."], sleep=args.stub_latency)
        pipeline = Pipeline(settings, pipeline.retriever, stub)
    with socket.socket() as sock:  # a free port on loopback
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return launch(
        pipeline, port=port, prevent_thread_lock=True, quiet=True
    ), f"http://127.0.0.1:{port}/"


def one_request(url: str, question: str) -> tuple[str, float, str]:
    from gradio_client import Client

    started = time.perf_counter()
    try:
        answer = Client(url, verbose=False).predict(question=question, api_name="/ask")
        return "answered", time.perf_counter() - started, answer["answer"][:40]
    except Exception as error:  # gradio_client raises for a full queue
        kind = (
            "busy" if "queue" in str(error).lower() and "full" in str(error).lower() else "failed"
        )
        return kind, time.perf_counter() - started, str(error)[:80]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--stub-latency", type=float, default=None, help="seconds per answer")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    demo, url = start_app(args)
    try:
        with ThreadPoolExecutor(max_workers=args.requests) as pool:
            results = list(
                pool.map(lambda n: one_request(url, QUESTIONS[n % 4]), range(args.requests))
            )
    finally:
        demo.close()
    answered = [s for kind, s, _ in results if kind == "answered"]
    counts = {
        k: sum(1 for kind, _, _ in results if kind == k) for k in ("answered", "busy", "failed")
    }
    model = f"stub, {args.stub_latency} s/answer" if args.stub_latency is not None else "bundled"
    print("\n| requests | model | answered | busy | failed | p50 s | p95 s |")
    print("|---|---|---|---|---|---|---|")
    p95 = sorted(answered)[max(0, round(0.95 * len(answered)) - 1)] if answered else float("nan")
    p50 = statistics.median(answered) if answered else float("nan")
    print(
        f"| {args.requests} | {model} | {counts['answered']} | {counts['busy']} | "
        f"{counts['failed']} | {p50:.2f} | {p95:.2f} |"
    )
    for kind, _, detail in results:
        if kind == "failed":
            print("failed:", detail)


if __name__ == "__main__":
    main()
