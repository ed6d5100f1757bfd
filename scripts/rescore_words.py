"""Re-score a report's cases with answer_words (whole words; a yes/no gold judged by the
answer's first word) beside the shared format's substring answer_contains, by type.

    PYTHONPATH=. python scripts/rescore_words.py REPORT_DIR [REPORT_DIR ...]

report.json keeps the shared format's metric set, so the stricter reading lives here.
Asserts nothing.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

from eval.metrics import answer_contains, answer_words


def main() -> None:
    for folder in sys.argv[1:]:
        rows = list(csv.DictReader((Path(folder) / "cases.csv").open(encoding="utf-8")))
        scores: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for row in rows:
            golds = [g.strip() for g in row["gold"].split(" | ") if g.strip()]
            if not golds:
                continue
            pair = (answer_contains(row["answer"], golds), answer_words(row["answer"], golds))
            scores[row["type"]].append(pair)
            scores["all answerable"].append(pair)
        print(
            f"\n{folder}\n| type | n | answer_contains | answer_words |\n| --- | --- | --- | --- |"
        )
        for kind, pairs in sorted(scores.items()):
            n = len(pairs)
            contains, words = (sum(p[i] for p in pairs) / n for i in (0, 1))
            print(f"| {kind} | {n} | {contains:.3f} | {words:.3f} |")


if __name__ == "__main__":
    main()
