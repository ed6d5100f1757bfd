"""Outside benchmarks turned into evaluation cases: `rgb:FILE` and `multihop:FOLDER`.

A user's own JSON Lines file needs no adapter: `read_cases` takes it as it is.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.cases import EvalCase, read_cases

# RGB's noise settings: the share of the 5 passages that are negatives. None: negatives only,
# where the right answer is to say the passages do not hold it.
RGB_NOISE: tuple[float | None, ...] = (0.0, 0.4, 0.8, None)
RGB_PASSAGES = 5
MULTIHOP_UNANSWERABLE = "insufficient information"


@dataclass
class Dataset:
    name: str
    cases: list[EvalCase]
    corpus: Path | None = None  # a folder to ingest into a temporary collection first


def load_dataset(spec: str, work_dir: Path) -> Dataset:
    """`FILE.jsonl`, `rgb:FILE` or `multihop:FOLDER`; work_dir receives generated articles."""
    kind, _, rest = spec.partition(":")
    if kind == "rgb" and rest:
        return Dataset(f"rgb:{Path(rest).name}", rgb_cases(Path(rest)))
    if kind == "multihop" and rest:
        cases, corpus = multihop_cases(Path(rest), work_dir / "multihop-articles")
        return Dataset(f"multihop:{Path(rest).name}", cases, corpus)
    path = Path(spec)
    return Dataset(path.name, read_cases(path))


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def flatten(golds: object) -> list[str]:
    """RGB answers are a string, a list of alternatives, or a list of such lists."""
    if isinstance(golds, str | int | float):
        return [str(golds)]
    return [g for item in golds for g in flatten(item)] if isinstance(golds, list) else []


def rgb_passages(row: dict[str, Any], noise: float | None) -> list[str]:
    """5 passages in RGB's ratio: 5 - n positives (fewer when fewer exist) and n negatives,
    shuffled with a seed per question so every run shows the model the same order."""
    negatives = list(row["negative"])
    if noise is None:
        texts = negatives[:RGB_PASSAGES]
    else:
        n_negative = round(RGB_PASSAGES * noise)
        texts = list(row["positive"])[: RGB_PASSAGES - n_negative] + negatives[:n_negative]
    random.Random(row["id"]).shuffle(texts)
    return texts


def rgb_cases(path: Path) -> list[EvalCase]:
    """Each RGB question at every noise setting, answered from its passages alone."""
    cases = []
    for row in read_json_lines(path):
        for noise in RGB_NOISE:
            label = "negatives only" if noise is None else f"noise {noise:g}"
            cases.append(
                EvalCase(
                    id=f"rgb-{row['id']}-{label.replace(' ', '-')}",
                    question=row["query"],
                    answers=[] if noise is None else flatten(row["answer"]),
                    type=f"rgb {label}",
                    passages=rgb_passages(row, noise),
                )
            )
    return cases


def multihop_cases(folder: Path, corpus: Path) -> tuple[list[EvalCase], Path]:
    """MultiHop-RAG keeps only evidence sentences: they are grouped by (title, source, date)
    into short articles written to corpus/multihop/, ingested so doc ids read multihop/aNNNN.
    'Insufficient information' questions become unanswerable cases."""
    try:
        truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
        queries = json.loads((folder / "queries.json").read_text(encoding="utf-8"))["queries"]
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"{folder} is not a MultiHop-RAG folder: {error}") from None
    articles: dict[tuple[str, str, str], dict[str, Any]] = {}
    gold: dict[str, list[str]] = {}
    for qid, item in truth.items():
        for fact in item.get("evidence_list", []):
            key = (fact["title"], fact["source"], fact["published_at"])
            article = articles.setdefault(
                key,
                {
                    "id": f"a{len(articles):04d}",
                    "title": fact["title"],
                    "source": fact["source"],
                    "published": fact["published_at"],
                    "url": fact.get("url", ""),
                    "facts": [],
                },
            )
            if fact["fact"] not in article["facts"]:
                article["facts"].append(fact["fact"])
            gold.setdefault(str(qid), []).append(f"multihop/{article['id']}")
    write_articles(corpus / "multihop", articles.values())
    cases = []
    for query in queries:
        qid = str(query["id"])
        answer = str(truth.get(qid, {}).get("answer", "")).strip()
        unanswerable = answer.lower().rstrip(".") == MULTIHOP_UNANSWERABLE
        cases.append(
            EvalCase(
                id=f"multihop-{qid}",
                question=query["question"],
                answers=[] if unanswerable or not answer else [answer],
                doc_ids=list(dict.fromkeys(gold.get(qid, []))),
                type=query.get("question_type", ""),
            )
        )
    return cases, corpus


def write_articles(folder: Path, articles: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        record = {k: v for k, v in article.items() if k != "facts"}
        record["text"] = "\n\n".join(article["facts"])
        (folder / f"{article['id']}.json").write_text(json.dumps(record, ensure_ascii=False))
