"""Fit the candidate ranker (rag/ranker.py) on the TUNE splits and show, on held-out splits,
how often the top candidate holds the gold answer: hand weights against the fitted model.
The reader is given the gold article(s) plus a distractor, as in scripts/bench_reader.py.

    PYTHONPATH=. python scripts/fit_ranker.py --fit tune tune-more tune-b tune-c \
        --check test test-b dev [--write]

Pointwise logistic regression (scikit-learn, L2, standardised, folded back to raw weights);
a candidate is positive when it holds a gold answer. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).parent))
from bench_reader import SPLITS, context_of, has, make_embed, passages

from rag.ranker import Ranker, load_ranker
from rag.reader import Weights, read


def candidate_lists(split: str, embed: Any, weights: Weights) -> list[list[dict[str, Any]]]:
    """Per answerable case: its candidates' signals and labels (hand-weight order)."""
    cases = [json.loads(line) for line in SPLITS[split].open() if line.strip()]
    out = []
    for case in cases:
        if not case["answers"]:
            continue
        reading = read(
            case["question"], passages(case), embed, None, context_of(case), weights, ranker=None
        )
        out.append(
            [{"signals": c.signals, "ok": has(c.text, case["answers"])} for c in reading.candidates]
        )
    return out


def features(lists: list[list[dict[str, Any]]]) -> list[str]:
    return sorted({k for cands in lists for c in cands for k in c["signals"]})


def fit(lists: list[list[dict[str, Any]]], names: list[str], c: float) -> Ranker:
    rows = [cand for cands in lists for cand in cands]
    x = np.array([[r["signals"].get(n, 0.0) for n in names] for r in rows])
    y = np.array([r["ok"] for r in rows])
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit((x - mean) / std, y)
    coef = model.coef_[0] / std
    bias = float(model.intercept_[0] - (coef * mean).sum())
    return Ranker({n: float(w) for n, w in zip(names, coef, strict=True)}, bias)


def fit_listwise(
    lists: list[list[dict[str, Any]]], names: list[str], l2: float, steps: int = 1500
) -> Ranker:
    """Conditional logit: maximise, per question, the softmax share of its right candidates
    (what top-1 needs), by full-batch gradient ascent on standardised signals."""
    groups = [c for c in lists if any(x["ok"] for x in c) and len(c) > 1]
    xs = [np.array([[x["signals"].get(n, 0.0) for n in names] for x in c]) for c in groups]
    ys = [np.array([x["ok"] for x in c], dtype=float) for c in groups]
    flat = np.vstack(xs)
    mean, std = flat.mean(axis=0), flat.std(axis=0) + 1e-9
    xs = [(x - mean) / std for x in xs]
    w = np.zeros(len(names))
    for _ in range(steps):
        grad = -l2 * w
        for x, y in zip(xs, ys, strict=True):
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            q = p * y / (p * y).sum()  # the right candidates' share of the mass
            grad += x.T @ (q - p)
        w += 0.5 * grad / len(xs)
    coef = w / std
    return Ranker({n: float(v) for n, v in zip(names, coef, strict=True)}, 0.0)


def top1(lists: list[list[dict[str, Any]]], ranker: Ranker | None) -> float:
    """Share of cases whose best candidate holds the gold (hand order when ranker is None)."""
    hits = 0
    for cands in lists:
        if not cands:
            continue
        best = cands[0] if ranker is None else max(cands, key=lambda c: ranker.score(c["signals"]))
        hits += best["ok"]
    return hits / max(len(lists), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fit", nargs="+", default=["tune", "tune-more", "tune-b", "tune-c"])
    parser.add_argument("--check", nargs="*", default=["test", "test-b", "dev"])
    # the pipeline's own reading depth, so the shipped column is the ranker as it runs
    parser.add_argument(
        "--sentences", type=int, default=Weights().sentences_read, help="sentences read"
    )
    parser.add_argument("-C", type=float, default=0.5)
    parser.add_argument("--listwise", action="store_true", help="conditional logit, not pointwise")
    parser.add_argument("--l2", type=float, default=0.05, help="listwise L2 strength")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    embed = make_embed(cache=True)  # loaded even when every split is cached: simple
    weights = Weights(sentences_read=args.sentences)
    store = Path(f"/tmp/newsrag-candidates-{args.sentences}.json")  # re-fits skip the reading
    cached = json.loads(store.read_text()) if store.exists() else {}

    def lists_of(split: str) -> list[list[dict[str, Any]]]:
        if split not in cached:
            cached[split] = candidate_lists(split, embed, weights)
            store.write_text(json.dumps(cached))
        result: list[list[dict[str, Any]]] = cached[split]
        return result

    fitted = {s: lists_of(s) for s in args.fit}
    train = [cands for lists in fitted.values() for cands in lists]
    names = features(train)
    ranker = fit_listwise(train, names, args.l2) if args.listwise else fit(train, names, args.C)
    how = f"listwise l2={args.l2}" if args.listwise else f"pointwise C={args.C}"
    print(f"sentences read: {args.sentences}; {how}; features: {len(names)}")
    shipped = load_ranker()
    print("| split | cases | gold among candidates | top-1 hand | top-1 shipped | top-1 fitted |")
    print("| --- | --- | --- | --- | --- | --- |")
    for split in [*args.fit, *args.check]:
        lists = fitted.get(split) or lists_of(split)
        among = sum(any(c["ok"] for c in cands) for cands in lists) / max(len(lists), 1)
        label = f"{split} (fitted on)" if split in fitted else split
        print(
            f"| {label} | {len(lists)} | {among:.3f} | {top1(lists, None):.3f} "
            f"| {top1(lists, shipped):.3f} | {top1(lists, ranker):.3f} |"
        )
    top = sorted(ranker.weights.items(), key=lambda kv: -abs(kv[1]))[:10]
    print("weights: " + ", ".join(f"{k} {v:+.2f}" for k, v in top))
    if args.write:
        data = {
            "fitted_on": args.fit,
            "sentences_read": args.sentences,
            "weights": ranker.weights,
            "bias": ranker.bias,
        }
        Path("rag/ranker.json").write_text(json.dumps(data, indent=1) + "\n")
        print("wrote rag/ranker.json")


if __name__ == "__main__":
    main()
