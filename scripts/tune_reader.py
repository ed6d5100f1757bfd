"""Calibrate when the reader's short answer is used (Settings.reader_margin), on our tune split.

For each case the pipeline answers with the reader off (the model, or the quote), and the
reader reads the same context; the table then shows, per margin threshold, what answering
with the reader's span whenever its pick is clear and the verified answer says it would
score: answer_contains, token F1, how many unanswerable cases it would answer, and how many
answers come from the reader.

    python scripts/tune_reader.py --data-dir DIR --dataset eval/questions/tune.jsonl
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

from eval.cases import read_cases
from eval.metrics import answer_contains, token_f1
from rag.chain import build_pipeline
from rag.config import Settings
from rag.read import agrees, read_context
from rag.verify import Verdict

THRESHOLDS = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 99.0]


def case_rows(data_dir: Path, dataset: Path, llm: str | None) -> list[dict[str, Any]]:
    settings = Settings(data_dir=data_dir, reader=False)
    if llm:
        settings = settings.model_copy(update={"llm": llm})
    pipeline = build_pipeline(settings)
    embed = pipeline.retriever.embeddings.embed_documents
    rows = []
    for case in read_cases(dataset):
        response = pipeline.ask(case.question, history=case.turns())
        answer = response.answer()
        state = response.state
        reading = read_context(state.question, state.context, embed) if state.context else None
        span = reading.answer.text if reading and reading.answer else ""
        rows.append(
            {
                "case": case,
                "old": answer.answer,
                "old_refused": answer.refused,
                "reading": reading,
                "span": span,
            }
        )
        print(f"{case.id}: old={answer.answer[:60]!r} span={span!r}", flush=True)
    return rows


def score(rows: list[dict[str, Any]], margin: float) -> dict[str, float]:
    contains, f1s, answered_unanswerable, from_reader = [], [], 0, 0
    for row in rows:
        case, reading = row["case"], row["reading"]
        said = Verdict(row["old"], [], refused=row["old_refused"])
        use = reading is not None and agrees(reading, said, margin)
        text, refused = (row["span"], False) if use else (row["old"], row["old_refused"])
        from_reader += use
        if case.answerable:
            contains.append(0.0 if refused else answer_contains(text, case.answers))
            f1s.append(0.0 if refused else token_f1(text, case.answers))
        elif not refused:
            answered_unanswerable += 1
    return {
        "answer_contains": statistics.mean(contains),
        "token_f1": statistics.mean(f1s),
        "answered_unanswerable": answered_unanswerable,
        "from_reader": from_reader,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, default=Path("eval/questions/tune.jsonl"))
    parser.add_argument("--llm", default=None, help="as for newsrag ask --llm")
    args = parser.parse_args()
    rows = case_rows(args.data_dir, args.dataset, args.llm)
    print(f"\n{args.dataset}: {len(rows)} cases")
    print("| reader_margin | answer_contains | token_f1 | unanswerable answered | from reader |")
    print("| --- | --- | --- | --- | --- |")
    for margin in THRESHOLDS:
        s = score(rows, margin)
        label = "off" if margin >= 99 else f"{margin:.2f}"
        print(
            f"| {label} | {s['answer_contains']:.3f} | {s['token_f1']:.3f} | "
            f"{s['answered_unanswerable']} | {s['from_reader']} |"
        )
    gate_table(rows)


def gate_table(rows: list[dict[str, Any]]) -> None:
    """For each reader feature, the threshold under which refusing would stop the most
    unanswerable cases while losing the fewest right answers (refuse when below)."""
    print("\n| feature | refuse below | unanswerable refused | right answers lost |")
    print("| --- | --- | --- | --- |")
    for name in sorted(rows[0]["reading"].features) if rows and rows[0]["reading"] else []:
        best: tuple[int, float, int, int] | None = None
        values = sorted({r["reading"].features[name] for r in rows if r["reading"]})
        for cut in values:
            refused = lost = 0
            for row in rows:
                if row["reading"] is None or row["reading"].features[name] >= cut:
                    continue
                if not row["case"].answerable:
                    refused += 1
                elif answer_contains(row["span"], row["case"].answers):
                    lost += 1
            gain = refused - 2 * lost  # a lost right answer costs twice a refused miss
            if best is None or gain > best[0]:
                best = (gain, cut, refused, lost)
        if best:
            print(f"| {name} | {best[1]:.3f} | {best[2]} | {best[3]} |")


if __name__ == "__main__":
    main()
