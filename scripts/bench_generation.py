"""The bundled model's generation speed with torch (the embeddings) loaded before or after it,
each order in a fresh process: the OpenMP runtime the two share is set up by whichever loads
it first (see rag.chain.build_pipeline). Prints a table; asserts nothing.

    PYTHONPATH=. python scripts/bench_generation.py [--prompts 8]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUESTIONS = [
    "Who took over the Non-Aligned Movement chair?",
    "How much did rich countries agree to provide by 2035?",
    "Who won the Euro 2024 final?",
    "How many medals did the host nation win at the Paris Olympics?",
    "When was the T20 World Cup final played?",
    "Which team lost the Euro 2024 final?",
    "What did the COP29 deal call on all sources of finance to reach?",
    "Who chaired the NAM before Uganda?",
]


def measure(order: str, prompts: int) -> dict[str, float]:
    """In this process: load the two models in `order`, then time greedy completions."""
    from rag.config import Settings
    from rag.models import make_embeddings, make_llm
    from rag.prompt import PROMPT

    settings = Settings(embedding="bundled:all-MiniLM-L6-v2", embedding_runtime="torch")
    if order == "model first":
        llm, embeddings = make_llm(settings), make_embeddings(settings)
    else:
        embeddings, llm = make_embeddings(settings), make_llm(settings)
    embeddings.embed_documents(QUESTIONS)  # torch's threads have run, as after a search
    per_token, first = [], []
    for question in QUESTIONS[:prompts]:
        prompt = PROMPT.format(
            passages=f"[1] Notes (desk, 2024-01-01): {question}", question=question
        )
        started = time.perf_counter()
        stamps = [time.perf_counter() for _ in llm.stream_text(prompt, ["Question:"])]  # type: ignore[attr-defined]
        if len(stamps) > 1:
            first.append(stamps[0] - started)
            per_token.append((stamps[-1] - stamps[0]) / (len(stamps) - 1))
    return {
        "ms_per_token": 1000 * statistics.median(per_token),
        "first_token_s": statistics.median(first),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--order", help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()
    if args.order:
        print(json.dumps(measure(args.order, args.prompts)))
        return
    print("| load order | ms per token (median) | first token, s (median) |")
    print("| --- | --- | --- |")
    for order in ("model first", "torch first"):
        child = [sys.executable, __file__, "--order", order, "--prompts", str(args.prompts)]
        done = subprocess.run(child, capture_output=True, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"| {order} | {row['ms_per_token']:.1f} | {row['first_token_s']:.2f} |")


if __name__ == "__main__":
    main()
