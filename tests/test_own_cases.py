"""The project's own labelled question sets (eval/questions/tune*.jsonl and test*.jsonl): they read
as evaluation cases, cover every case type in both splits, keep the splits apart by article,
copy no article text, and every gold answer can be found in one of its gold articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.cases import EvalCase, read_cases
from eval.metrics import normalise
from tests.conftest import ROOT

QUESTIONS = ROOT / "eval" / "questions"
SPLITS = ("tune", "tune-more", "tune-b", "tune-c", "test", "test-b")
TYPES = {"factoid", "numeric", "date", "multi_doc", "unanswerable", "followup"}


@pytest.fixture(scope="module")
def splits() -> dict[str, list[EvalCase]]:
    return {name: read_cases(QUESTIONS / f"{name}.jsonl") for name in SPLITS}


def all_cases(splits: dict[str, list[EvalCase]]) -> list[EvalCase]:
    return [case for cases in splits.values() for case in cases]


def article_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # one BBC file is Latin-1
        return raw.decode("latin-1")


def test_enough_cases(splits: dict[str, list[EvalCase]]) -> None:
    assert len(all_cases(splits)) >= 150


def test_every_split_has_every_type(splits: dict[str, list[EvalCase]]) -> None:
    for name, cases in splits.items():
        types = {case.type for case in cases}
        assert types == TYPES, f"{name}: types {sorted(types)}"


def test_ids_unique_across_splits(splits: dict[str, list[EvalCase]]) -> None:
    ids = [case.id for case in all_cases(splits)]
    assert len(ids) == len(set(ids))
    for name, cases in splits.items():
        prefix = name.split("-")[0]  # tune-more's cases are tune cases: own-tune-101...
        assert all(case.id.startswith(f"own-{prefix}-") for case in cases)


def test_no_article_in_both_splits(splits: dict[str, list[EvalCase]]) -> None:
    docs = {name: {d for case in cases for d in case.doc_ids} for name, cases in splits.items()}
    tune = docs["tune"] | docs["tune-more"] | docs["tune-b"] | docs["tune-c"]
    assert not tune & (docs["test"] | docs["test-b"])


def test_no_article_text_copied(splits: dict[str, list[EvalCase]]) -> None:
    for case in all_cases(splits):
        assert case.evidence == [], case.id
        assert case.doc_ids, case.id


def test_case_shapes(splits: dict[str, list[EvalCase]]) -> None:
    for case in all_cases(splits):
        assert (case.type == "unanswerable") == (not case.answers), case.id
        assert bool(case.history) == (case.type == "followup"), case.id
        if case.type == "multi_doc":
            assert len(set(case.doc_ids)) >= 2, case.id


def test_doc_ids_exist(splits: dict[str, list[EvalCase]], datasets: Path) -> None:
    missing = [
        (case.id, d)
        for case in all_cases(splits)
        for d in case.doc_ids
        if not (datasets / f"{d}.txt").is_file()
    ]
    assert not missing


def test_gold_answers_in_gold_articles(splits: dict[str, list[EvalCase]], datasets: Path) -> None:
    texts: dict[str, str] = {}
    unsupported: list[str] = []
    for case in all_cases(splits):
        if not case.answerable:
            continue
        for d in case.doc_ids:
            if d not in texts:
                texts[d] = normalise(article_text(datasets / f"{d}.txt"))
        golds = [normalise(answer) for answer in case.answers]
        if not any(gold and gold in texts[d] for gold in golds for d in case.doc_ids):
            unsupported.append(case.id)
    assert not unsupported, f"gold answer not found in a gold article: {unsupported}"


def test_no_question_copies_seven_words(splits: dict[str, list[EvalCase]], datasets: Path) -> None:
    """Questions are written in our own words: none repeats a 7-word run of its articles."""
    copied = []
    for case in all_cases(splits):
        words = normalise(case.question).split()
        runs = {" ".join(words[i : i + 7]) for i in range(len(words) - 6)}
        texts = [normalise(article_text(datasets / f"{d}.txt")) for d in case.doc_ids]
        copied += [case.id for run in runs if any(run in text for text in texts)]
    assert not copied, f"questions copying article text: {sorted(set(copied))}"
