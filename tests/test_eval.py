"""`newsrag eval` and `newsrag compare`: reports in the shared format, deterministic runs,
baselines that fail CI on a real regression, the benchmark adapters, the HTML in a browser.
The pipeline is the real one over real Chroma, with a small deterministic embedding and the
extractive mode: the evaluation machinery is the subject here, not the models."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eval.adapters import load_dataset, rgb_cases
from eval.cases import EvalCase, read_cases
from eval.command import EvalRequest, run_evaluation
from eval.compare import compare, parse_tolerances
from eval.runner import score_case, summarise
from rag.answer import Answer
from rag.chain import Pipeline
from rag.config import Settings
from tests.browser import chromium_page, screenshot
from tests.conftest import SAMPLE_QUESTIONS, quality, sample_pipeline, write
from ui.cli import app

FORMAT_METRICS = {
    "hit@1",
    "hit@5",
    "recall@10",
    "mrr@10",
    "answer_contains",
    "exact_match",
    "token_f1",
    "refusal_rate_unanswerable",
    "false_refusal_rate",
    "grounded_rate",
    "latency_p50_s",
    "latency_p95_s",
}


@pytest.fixture
def pipeline(settings: Settings) -> Pipeline:
    return sample_pipeline(settings, None)


def evaluate_to(pipeline: Pipeline, out: Path, dataset: Path | str = SAMPLE_QUESTIONS) -> Any:
    return run_evaluation(EvalRequest(str(dataset), out, progress=False), pipeline)


def test_eval_writes_the_three_files_in_the_shared_format(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    outcome = evaluate_to(pipeline, tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    cases = read_cases(SAMPLE_QUESTIONS)
    assert report["dataset"] == "sample_questions.jsonl" and report["n"] == len(cases)
    # the format's metrics keep their names; the format allows more keys
    assert set(report["metrics"]) == FORMAT_METRICS | {"wrong_answer_rate"}
    assert report["models"]["llm"] == "llamacpp:bundled" and "top_k" in report["config"]
    assert "openai_api_key" not in report["config"]
    # which checkout produced it: an editable install runs its own, whatever the directory
    assert report["code"]["path"] == str(Path(__file__).resolve().parent.parent)
    if (Path(report["code"]["path"]) / ".git").exists():
        assert len(report["code"]["commit"]) == 40 and isinstance(report["code"]["dirty"], bool)
    for name, value in quality(report["metrics"]).items():
        assert value is None or 0.0 <= value <= 1.0, name
    assert report["metrics"]["hit@5"] > 0.8  # the sample questions are easy to find
    first = report["cases"][0]
    for key in (
        "id",
        "answer",
        "refused",
        "retrieved_doc_ids",
        "answer_contains",
        "token_f1",
        "latency_s",
        "failures",
        "cited",
    ):
        assert key in first
    unanswerable = [c for c in report["cases"] if not c["gold"]]
    assert unanswerable and all(c["answer_contains"] is None for c in unanswerable)
    assert set(report["by_type"]) == {c.type for c in cases}
    rows = list(csv.DictReader((tmp_path / "out" / "cases.csv").open()))
    assert [r["id"] for r in rows] == [c.id for c in cases]
    html = (tmp_path / "out" / "report.html").read_text()
    assert all(f'id="case-{c.id}"' in html for c in cases)
    assert "http://" not in html.split("<body>")[0] and "<script src" not in html
    assert outcome.comparison is None


def test_two_runs_give_identical_scores(pipeline: Pipeline, tmp_path: Path) -> None:
    first = evaluate_to(pipeline, tmp_path / "a").report
    second = evaluate_to(pipeline, tmp_path / "b").report
    assert quality(first["metrics"]) == quality(second["metrics"])
    assert first["intervals_95"] == second["intervals_95"]
    strip = [
        {k: v for k, v in c.items() if k not in ("latency_s", "first_token_s")}
        for c in first["cases"]
    ]
    assert strip == [
        {k: v for k, v in c.items() if k not in ("latency_s", "first_token_s")}
        for c in second["cases"]
    ]


def test_metrics_no_case_can_score_are_null(pipeline: Pipeline, tmp_path: Path) -> None:
    case = {"id": "u1", "question": "Who won the 2030 World Cup?", "type": "unanswerable"}
    only_unanswerable = write(tmp_path / "u.jsonl", json.dumps(case))
    report = evaluate_to(pipeline, tmp_path / "out", only_unanswerable).report
    assert report["metrics"]["answer_contains"] is None and report["metrics"]["hit@5"] is None
    assert report["metrics"]["refusal_rate_unanswerable"] == 1.0
    assert report["cases"][0]["failures"] == []


def test_follow_up_cases_are_asked_with_their_history(pipeline: Pipeline, tmp_path: Path) -> None:
    followup = write(
        tmp_path / "f.jsonl",
        json.dumps(
            {
                "id": "f1",
                "question": "And who did it take over from?",
                "answers": ["Azerbaijan"],
                "doc_ids": ["world/nam-chair-uganda"],
                "type": "followup",
                "history": [
                    {"role": "user", "content": "Who took over the Non-Aligned Movement chair?"},
                    {"role": "assistant", "content": "Uganda took over the chair [1]."},
                ],
            }
        ),
    )
    case = evaluate_to(pipeline, tmp_path / "out", followup).report["cases"][0]
    assert case["retrieved_doc_ids"][0] == "world/nam-chair-uganda"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a", "question": "Q?"}\nnot json\n', r"x\.jsonl:2: not a valid case"),
        ('{"id": "a", "question": ""}\n', r"x\.jsonl:1: not a valid case"),
        (
            '{"id": "a", "question": "Q?", "history": [{"role": "bot", "content": "x"}]}\n',
            r"x\.jsonl:1: .*role 'user' or 'assistant'",
        ),
        ('{"id": "a", "question": "Q?"}\n{"id": "a", "question": "R?"}\n', "appears twice"),
        ("\n", "holds no cases"),
    ],
)
def test_bad_question_sets_are_named_precisely(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_cases(write(tmp_path / "x.jsonl", content))


def test_eval_command_reports_a_bad_dataset_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--dataset",
            str(tmp_path / "missing.jsonl"),
            "--llm",
            "none",
            "--data-dir",
            str(tmp_path / "d"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert (
        result.exit_code == 2
        and "cannot read" in result.output
        and "Traceback" not in (result.output)
    )


def hand_made_case(case_id: str, contains: float, refused: bool = False) -> dict[str, Any]:
    return {
        "id": case_id,
        "question": f"question {case_id}",
        "gold": ["x"],
        "answer": "a",
        "refused": refused,
        "hit@1": 1.0,
        "hit@5": 1.0,
        "recall@10": 1.0,
        "mrr@10": 1.0,
        "answer_contains": contains,
        "exact_match": 0.0,
        "token_f1": contains,
        "refusal_rate_unanswerable": None,
        "false_refusal_rate": float(refused),
        "grounded_rate": None if refused else 1.0,
        "latency_s": 1.0,
        "failures": [] if contains else ["answer lacks the gold answer"],
    }


def hand_made_report(folder: Path, contains: list[float]) -> Path:
    cases = [hand_made_case(f"c{i:02d}", value) for i, value in enumerate(contains)]
    write(folder / "report.json", json.dumps({"dataset": "hand", "n": len(cases), "cases": cases}))
    return folder


def test_baseline_with_a_known_regression_exits_1(tmp_path: Path) -> None:
    before = hand_made_report(tmp_path / "before", [1.0] * 30)
    after = hand_made_report(tmp_path / "after", [1.0] * 22 + [0.0] * 8)  # 0.27 drop
    result = CliRunner().invoke(app, ["compare", str(before), str(after)])
    assert result.exit_code == 1, result.output
    assert "answer_contains" in result.output and "REGRESSION" in result.output
    assert "c22 now fails" in result.output
    summary = json.loads(
        CliRunner().invoke(app, ["compare", str(before), str(after), "--json"]).output
    )
    assert summary["regressions"] == ["answer_contains", "token_f1"]


def test_baseline_without_a_regression_exits_0(tmp_path: Path) -> None:
    before = hand_made_report(tmp_path / "before", [1.0] * 30)
    same = hand_made_report(tmp_path / "same", [1.0] * 30)
    assert CliRunner().invoke(app, ["compare", str(before), str(same)]).exit_code == 0
    # one case of 30 worse: a drop (0.033) over the tolerance, but the interval includes zero
    noisy = hand_made_report(tmp_path / "noisy", [1.0] * 29 + [0.0])
    assert CliRunner().invoke(app, ["compare", str(before), str(noisy)]).exit_code == 0
    # a loose tolerance lets a real drop through
    after = hand_made_report(tmp_path / "after", [1.0] * 22 + [0.0] * 8)
    loose = ["compare", str(before), str(after), "--tolerance", "0.5"]
    assert CliRunner().invoke(app, loose).exit_code == 0


def test_a_wrong_answer_counts_where_a_refusal_of_it_would_be_a_false_refusal() -> None:
    case = EvalCase(id="c", question="Who runs Spamhaus?", answers=["Steve Linford"])
    unanswerable = EvalCase(id="u", question="Who owns Spamhaus?", type="unanswerable")

    def row(of: EvalCase, said: str, refused: bool = False) -> dict[str, Any]:
        return score_case(of, Answer(question=of.question, answer=said, refused=refused), None)

    rows = [
        row(case, "Steve Linford [1]."),  # right
        row(case, "Jo Bloggs [1]."),  # wrong
        row(case, "I couldn't find this.", refused=True),  # refused
        row(unanswerable, "Jo Bloggs [1]."),  # not answerable: counts in neither
    ]
    assert [r["wrong_answer_rate"] for r in rows] == [0.0, 1.0, 0.0, None]
    assert [r["false_refusal_rate"] for r in rows] == [0.0, 0.0, 1.0, None]
    summary = summarise([{**r, "latency_s": 1.0} for r in rows])
    assert summary["wrong_answer_rate"] == round(1 / 3, 4)


def test_lower_is_better_for_false_refusals() -> None:
    before = {"cases": [hand_made_case(f"c{i}", 1.0) for i in range(30)]}
    after = {"cases": [hand_made_case(f"c{i}", 1.0, refused=i < 10) for i in range(30)]}
    regressions = [c.metric for c in compare(before, after).regressions]
    assert "false_refusal_rate" in regressions
    assert [c.metric for c in compare(after, before).regressions] == []


def test_tolerances_parse_per_metric() -> None:
    assert parse_tolerances(["0.05", "answer_contains=0.1"]) == {"*": 0.05, "answer_contains": 0.1}
    with pytest.raises(ValueError, match="unknown metric"):
        parse_tolerances(["accuracy=0.1"])
    with pytest.raises(ValueError, match="wants a number"):
        parse_tolerances(["lots"])


def test_eval_with_a_baseline_folder_records_the_comparison(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    evaluate_to(pipeline, tmp_path / "base")
    request = EvalRequest(
        str(SAMPLE_QUESTIONS), tmp_path / "new", baseline=tmp_path / "base", progress=False
    )
    outcome = run_evaluation(request, pipeline)
    assert outcome.comparison is not None and outcome.comparison.regressions == []
    saved = json.loads((tmp_path / "new" / "report.json").read_text())
    assert saved["baseline"]["regressions"] == [] and saved["baseline"]["changes"]
    assert "Against the baseline" in (tmp_path / "new" / "report.html").read_text()


RGB_ROW = {
    "id": 7,
    "query": "Who won the 2022 Nobel Prize in Literature?",
    "answer": [["Annie Ernaux"]],
    "positive": [
        "Annie Ernaux won the 2022 Nobel Prize in Literature.",
        "Ernaux, a French writer, won the 2022 Nobel Prize in Literature.",
    ],
    "negative": [f"Unrelated passage number {n} about gardening." for n in range(6)],
}


def test_rgb_adapter_builds_every_noise_setting(tmp_path: Path) -> None:
    cases = rgb_cases(write(tmp_path / "rgb.json", json.dumps(RGB_ROW) + "\n"))
    by_type = {c.type: c for c in cases}
    assert set(by_type) == {"rgb noise 0", "rgb noise 0.4", "rgb noise 0.8", "rgb negatives only"}
    assert by_type["rgb noise 0"].answers == ["Annie Ernaux"]
    assert len(by_type["rgb noise 0"].passages or []) == 2  # only 2 positives exist
    noisy = by_type["rgb noise 0.8"].passages or []
    assert len(noisy) == 5 and sum("Ernaux" in p for p in noisy) == 1
    negatives_only = by_type["rgb negatives only"]
    assert negatives_only.answers == [] and not any(
        "Ernaux" in p for p in negatives_only.passages or []
    )
    assert cases == rgb_cases(tmp_path / "rgb.json")  # the same shuffle every run


def test_rgb_cases_are_answered_from_their_passages_alone(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    write(tmp_path / "rgb.json", json.dumps(RGB_ROW) + "\n")
    report = evaluate_to(pipeline, tmp_path / "out", f"rgb:{tmp_path / 'rgb.json'}").report
    assert report["dataset"] == "rgb:rgb.json" and report["metrics"]["hit@5"] is None
    clean = next(c for c in report["cases"] if c["type"] == "rgb noise 0")
    assert "Ernaux" in clean["answer"] and clean["retrieved_doc_ids"] == []


def multihop_folder(folder: Path) -> Path:
    fact = {
        "title": "Chip maker posts record quarter",
        "source": "Tech Daily",
        "published_at": "2023-10-02T10:00:00+00:00",
        "url": "https://t.example/chips",
        "author": "A",
        "category": "technology",
    }
    truth = {
        "0": {
            "answer": "Nvidia",
            "evidence_list": [
                {**fact, "fact": "Nvidia reported record data-centre revenue of $14.5bn."},
                {**fact, "fact": "Its shares rose 6% after the results."},
            ],
        },
        "1": {"answer": "Insufficient information.", "evidence_list": []},
    }
    queries = {
        "queries": [
            {
                "id": "0",
                "question": "Which chip maker reported record data-centre revenue of $14.5bn?",
                "question_type": "inference_query",
            },
            {
                "id": "1",
                "question": "Who will win the 2031 chess final?",
                "question_type": "null_query",
            },
        ]
    }
    write(folder / "ground_truth.json", json.dumps(truth))
    write(folder / "queries.json", json.dumps(queries))
    return folder


def test_multihop_adapter_groups_facts_into_articles(tmp_path: Path) -> None:
    dataset = load_dataset(f"multihop:{multihop_folder(tmp_path / 'mh')}", tmp_path / "work")
    assert [c.doc_ids for c in dataset.cases] == [["multihop/a0000"], []]
    assert [c.answers for c in dataset.cases] == [["Nvidia"], []]
    article = json.loads((tmp_path / "work/multihop-articles/multihop/a0000.json").read_text())
    assert article["text"].count("\n\n") == 1 and article["source"] == "Tech Daily"


def test_multihop_is_evaluated_in_a_temporary_collection(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    articles_before = pipeline.retriever.store.records.count()
    spec = f"multihop:{multihop_folder(tmp_path / 'mh')}"
    report = evaluate_to(pipeline, tmp_path / "out", spec).report
    assert report["cases"][0]["retrieved_doc_ids"] == ["multihop/a0000"]
    assert report["metrics"]["hit@1"] == 1.0
    assert pipeline.retriever.store.records.count() == articles_before  # the user's store untouched


def test_html_report_opens_offline_in_a_headless_browser(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    evaluate_to(pipeline, tmp_path / "out")
    with chromium_page() as page:
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto((tmp_path / "out" / "report.html").as_uri())
        assert page.title() == "newsrag evaluation: sample_questions.jsonl"
        assert page.locator('[data-metric="answer_contains"] b').inner_text() != "n/a"
        plots = page.locator(".plots img")
        assert plots.count() == 4
        assert all(plots.nth(i).evaluate("img => img.naturalWidth") > 100 for i in range(4))
        shot = screenshot(page, "eval-report.png")
    assert shot.stat().st_size > 10_000
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
