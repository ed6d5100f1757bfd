"""Run a question set through the real pipeline and write, per case, the signals an answer
policy can see (reader features, the verdict's form, retrieval scores) beside the labels it
should predict (is the case answerable; does each candidate answer hold the gold answer).

    PYTHONPATH=. python scripts/dump_signals.py --dataset eval/questions/tune.jsonl \
        --data-dir DIR --out /tmp/tune-signals.jsonl

scripts/fit_policy.py fits the policy on these rows. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval.adapters import load_dataset
from eval.metrics import answer_contains
from rag.chain import Pipeline, build_pipeline
from rag.config import Settings
from rag.policy import signals
from rag.read import read_context
from rag.state import State


class BeforePolicy(Pipeline):
    """The pipeline as the policy sees it: the verdict verified with the reader's ranked
    sentences for its quote (as in `ask`), the reading beside it, and no policy applied (an
    earlier dump ran with the reader off, so its quotes were evidence_score's, not the
    reader's, and the policy was fitted on verdicts the pipeline never gives)."""

    def read_first(self, state: State) -> bool:
        return False

    def read(self, state: State) -> None:
        embed = self.retriever.embeddings.embed_documents
        state.reading = state.reading or read_context(state.question, state.context, embed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    built = build_pipeline(Settings(data_dir=args.data_dir))
    pipeline = BeforePolicy(built.settings, built.retriever, built.llm)
    dataset = load_dataset(args.dataset, Path(tempfile.mkdtemp()))
    cases = dataset.cases[: args.limit] if args.limit else dataset.cases
    done = set()  # a re-run resumes where a killed one stopped
    if args.out.exists():
        done = {json.loads(line)["id"] for line in args.out.read_text().splitlines() if line}
    with args.out.open("a") as out:
        for case in [c for c in cases if c.id not in done]:
            started = time.perf_counter()
            response = pipeline.ask(case.question, history=case.turns())
            answer = response.answer()
            state = response.state
            reading = state.reading  # None only where the gate refused: nothing was read
            golds = case.answers
            pick = reading.answer.text if reading and reading.answer else ""
            row = {
                "id": case.id,
                "type": case.type,
                "answerable": bool(golds),
                "answer": answer.answer,
                "refused": answer.refused,
                "pick": pick,
                "pick_ok": bool(golds) and bool(answer_contains(pick, golds)),
                "verdict_ok": bool(golds)
                and not answer.refused
                and bool(answer_contains(answer.answer, golds)),
                "signals": signals(state, reading),
                "latency_s": round(time.perf_counter() - started, 3),
            }
            out.write(json.dumps(row) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
