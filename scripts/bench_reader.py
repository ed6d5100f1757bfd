"""Probe the reader alone: give it the gold article(s) plus one distractor and see whether
it finds the answer sentence, the answer span, and picks it.

    PYTHONPATH=. python scripts/bench_reader.py --split tune [--scorer] [--set fit=0.8] [-v]

Tune weights on --split tune only; test and dev are for the final report.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import fields, replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
from eval.metrics import normalise, percentile, token_f1
from rag.reader import Embed, Reading, Weights, read

ROOT = Path(__file__).resolve().parent.parent

DATA = Path(os.environ.get("NEWSRAG_SHARED", ROOT.parent / "shared")) / "datasets"
SPLITS = {
    "tune": ROOT / "eval/questions/tune.jsonl",
    "tune-more": ROOT / "eval/questions/tune-more.jsonl",
    "tune-b": ROOT / "eval/questions/tune-b.jsonl",
    "tune-c": ROOT / "eval/questions/tune-c.jsonl",
    "test": ROOT / "eval/questions/test.jsonl",
    "test-b": ROOT / "eval/questions/test-b.jsonl",
    "dev": DATA / "qa/dev.jsonl",
}


def article(doc_id: str) -> str:
    return (DATA / f"{doc_id}.txt").read_text(encoding="utf-8", errors="replace")


def distractor(doc_id: str) -> str | None:
    """The next file in the same BBC folder: same topic area, (almost always) no answer."""
    folder, _, name = doc_id.rpartition("/")
    if not folder.startswith("bbc/") or not name.isdigit():
        return None
    files = sorted((DATA / folder).glob("*.txt"))
    nxt = files[(int(name) % len(files))]  # 012.txt -> the file after it, wrapping
    return nxt.read_text(encoding="utf-8", errors="replace")


def passages(case: dict) -> list[str]:
    """Gold articles with the distractor second, so the reader cannot trust order alone."""
    golds = [article(d) for d in case["doc_ids"]]
    extra = distractor(case["doc_ids"][0])
    return golds[:1] + ([extra] if extra else []) + golds[1:]


def has(text: str, golds: list[str]) -> bool:
    said = normalise(text)
    return any(normalise(g) and normalise(g) in said for g in golds)


def row(reading: Reading, golds: list[str]) -> dict[str, float]:
    top1 = reading.answer.text if reading.answer else ""
    return {
        "sent@1": float(any(has(s.text, golds) for s in reading.sentences[:1])),
        "sent@3": float(any(has(s.text, golds) for s in reading.sentences[:3])),
        "in_cands": float(any(has(c.text, golds) for c in reading.candidates)),
        "top1_contains": float(has(top1, golds)),
        "top1_exact": float(any(normalise(top1) == normalise(g) for g in golds)),
        "top1_f1": token_f1(top1, golds),
    }


def make_embed(cache: bool) -> Embed:
    from rag.config import Settings
    from rag.models import make_embeddings

    settings = Settings()  # NEWSRAG_EMBEDDING, else the fp32 model (as measured so far)
    model = settings.embedding or "bundled:all-MiniLM-L6-v2"
    embed_documents = make_embeddings(
        settings.model_copy(update={"embedding": model})
    ).embed_documents
    if not cache:
        return embed_documents
    memo: dict[str, list[float]] = {}

    def cached(texts: list[str]) -> list[list[float]]:
        todo = [t for t in dict.fromkeys(texts) if t not in memo]
        memo.update(zip(todo, embed_documents(todo) if todo else [], strict=True))
        return [memo[t] for t in texts]

    return cached


def parse_weights(pairs: list[str]) -> Weights:
    types = {f.name: f.type for f in fields(Weights)}
    changes = {
        k: (int(v) if types[k] in ("int", int) else float(v))
        for k, v in (p.split("=", 1) for p in pairs)
    }
    return replace(Weights(), **changes)


def context_of(case: dict) -> str:
    return " ".join(turn["content"] for turn in case.get("history", []))


DUMP: list[dict] = []  # per case: features and whether the top candidate was right
Result = tuple[list[dict], list[float], list[tuple[dict, Reading]]]


def run_mode(
    cases: list[dict], embed: Embed, scorer: object, weights: Weights, verbose: bool
) -> Result:
    rows, times, unanswerable = [], [], []
    for case in cases:
        texts = passages(case)
        start = time.perf_counter()
        reading = read(case["question"], texts, embed, scorer, context_of(case), weights)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
        got = reading.answer.text if reading.answer else ""
        DUMP.append(
            {
                "id": case["id"],
                "scorer": scorer is not None,
                "answer": got,
                "correct": has(got, case["answers"]) if case["answers"] else None,
                "features": reading.features,
            }
        )
        if not case["answers"]:
            unanswerable.append((case, reading))
            continue
        r = row(reading, case["answers"])
        rows.append(r | {"type": case["type"]})
        if verbose and not r["top1_contains"]:
            got = reading.answer.text if reading.answer else None
            cands = [c.text for c in reading.candidates[:5]]
            print(
                f"  MISS {case['id']} [{reading.asked}] {case['question'][:80]}\n"
                f"       gold={case['answers'][:2]} got={got!r} cands={cands}"
            )
    return rows, times, unanswerable


def report(label: str, rows: list[dict], times: list[float], unanswerable: list) -> None:
    keys = ["sent@1", "sent@3", "in_cands", "top1_contains", "top1_exact", "top1_f1"]
    print(f"\n## {label}: {len(rows)} answerable, {len(unanswerable)} unanswerable")
    print("| " + " | ".join(keys) + " | p50 s | p95 s |")
    print("|" + " --- |" * (len(keys) + 2))
    means = [sum(r[k] for r in rows) / max(len(rows), 1) for k in keys]
    p50, p95 = percentile(times, 0.5) or 0.0, percentile(times, 0.95) or 0.0
    print("| " + " | ".join(f"{m:.3f}" for m in means) + f" | {p50:.3f} | {p95:.3f} |")
    types = sorted({r["type"] for r in rows})
    print(
        "top1_contains by type: "
        + ", ".join(
            f"{t} {sum(r['top1_contains'] for r in rows if r['type'] == t)}/"
            f"{sum(r['type'] == t for r in rows)}"
            for t in types
        )
    )
    feats = ["cand_score", "margin", "kind_fit", "in_question", "answer_sent_overlap", "llr"]
    print("unanswerable features: " + " ".join(feats))
    for case, reading in unanswerable:
        got = reading.answer.text if reading.answer else None
        vals = " ".join(f"{reading.features[f]:.2f}" for f in feats)
        print(f"  {case['id']}: {vals}  ({got!r})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=sorted(SPLITS), default="tune")
    parser.add_argument("--scorer", action="store_true", help="also run with the Gemma scorer")
    parser.add_argument("--only-scorer", action="store_true")
    parser.add_argument("--set", nargs="*", default=[], help="weight overrides, name=value")
    parser.add_argument("--cache", action="store_true", help="memoise embeddings (tuning)")
    parser.add_argument("--dump", help="write per-case features/labels as JSONL here")
    parser.add_argument("--limit", type=int, default=0, help="only the first N cases")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    cases = [json.loads(line) for line in SPLITS[args.split].open() if line.strip()]
    cases = cases[: args.limit] if args.limit else cases
    embed, weights = make_embed(args.cache), parse_weights(args.set)
    embed(["warm up"])
    modes: list[tuple[str, object]] = [] if args.only_scorer else [("no scorer", None)]
    if args.scorer or args.only_scorer:
        from rag.scorer import GemmaScorer

        modes.append(("Gemma scorer", GemmaScorer.bundled()))
    for label, scorer in modes:
        rows, times, unanswerable = run_mode(cases, embed, scorer, weights, args.verbose)
        report(f"{args.split}, {label}", rows, times, unanswerable)
    if args.dump:
        Path(args.dump).write_text("".join(json.dumps(d) + "\n" for d in DUMP))


if __name__ == "__main__":
    main()
