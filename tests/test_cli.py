"""The CLI's commands and JSON keys (what users script against), with fake models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.language_models.fake import FakeListLLM
from typer.testing import CliRunner

from tests.conftest import SAMPLE_CORPUS, HashingEmbeddings, write
from ui.cli import app

runner = CliRunner()
SOURCE_KEYS = {"n", "doc_id", "title", "published", "source", "url", "snippet", "score"}


@pytest.fixture(autouse=True)
def fake_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rag.models.make_embeddings", lambda *a, **k: HashingEmbeddings())
    monkeypatch.setattr(
        "rag.models.make_llm",
        lambda settings: FakeListLLM(responses=["Uganda took over the chair [1]."] * 10),
    )
    monkeypatch.setenv("NEWSRAG_MIN_RELEVANCE", "0.2")


def run(*args: str) -> dict:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingest_ask_search_info_json_contract(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    report = run("ingest", str(SAMPLE_CORPUS), "--json", "--data-dir", data)
    assert set(report) >= {
        "files_seen",
        "added",
        "updated",
        "unchanged",
        "removed",
        "skipped",
        "chunks_written",
        "chunks_deleted",
        "seconds",
    }
    assert report["added"] >= 10 and report["skipped"] == []

    answer = run(
        "ask", "Who took over the Non-Aligned Movement chair?", "--json", "--data-dir", data
    )
    assert set(answer) >= {"question", "answer", "refused", "sources", "timings"}
    assert set(answer["timings"]) >= {"retrieve_s", "generate_s", "total_s"}
    assert set(answer["sources"][0]) >= SOURCE_KEYS
    assert answer["answer"] == "Uganda took over the chair [1]." and answer["refused"] is False

    found = run("search", "Non-Aligned Movement", "-k", "2", "--json", "--data-dir", data)
    assert found["query"] == "Non-Aligned Movement" and len(found["results"]) == 2
    assert set(found["results"][0]) >= SOURCE_KEYS

    info = run("info", "--json", "--data-dir", data)
    assert info["articles"] == report["added"] and info["chunks"] == report["chunks_written"]
    assert set(info) >= {"data_dir", "collection", "articles", "chunks", "embedding_model", "llm"}
    assert info["data_dir"] == data


def test_data_dir_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSRAG_DATA_DIR", str(tmp_path / "env-data"))
    assert run("info", "--json")["data_dir"] == str(tmp_path / "env-data")


def test_human_output_names_the_sources(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    runner.invoke(app, ["ingest", str(SAMPLE_CORPUS), "--data-dir", data])
    result = runner.invoke(
        app, ["ask", "Who took over the Non-Aligned Movement chair?", "--data-dir", data]
    )
    assert result.exit_code == 0
    assert "Sources:" in result.stdout and "[1] Uganda takes over" in result.stdout
    # the sentence the answer rests on is printed under its source
    assert "\n      “" in result.stdout and "Uganda" in result.stdout.split("\n      “")[1]


def test_ingest_reports_skipped_files_in_plain_words(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    write(folder / "ok.txt", "Headline\n\nBody text.\n")
    write(folder / "empty.txt", "")
    result = runner.invoke(app, ["ingest", str(folder), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0
    assert "1 added" in result.stdout and "empty.txt: empty file" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "the question is empty"),
        (["search", ""], "the query is empty"),
        (["ask", "When?", "--since", "last tuesday"], "--since wants a date like 2024-01-31"),
    ],
)
def test_bad_input_gets_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert f"error: {message}" in result.stderr
    assert "Traceback" not in result.output


def test_wrong_embedding_model_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = str(tmp_path / "data")
    run("ingest", str(SAMPLE_CORPUS), "--json", "--data-dir", data)
    monkeypatch.setenv("NEWSRAG_EMBEDDING", "sentence-transformers:/models/other-model")
    result = runner.invoke(app, ["info", "--data-dir", data])
    assert result.exit_code == 2  # a new store was built with the default, the int8 model
    assert "built with the embedding model 'all-MiniLM-L6-v2-int8'" in result.stderr


def test_every_command_has_help_with_examples() -> None:
    for command in ["ingest", "ask", "search", "info", "serve", "demo"]:
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Examples:" in result.stdout, command


def test_chroma_server_option_reaches_every_command(tmp_path: Path, chroma_server: str) -> None:
    from ui.cli import app

    runner = CliRunner()
    args = ["--chroma-url", chroma_server, "info", "--json", "--data-dir", str(tmp_path)]
    result = runner.invoke(app, args, env={"NEWSRAG_COLLECTION": "cli-server-check"})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["chunks"] == 0
    down = runner.invoke(
        app,
        ["--chroma-url", "http://127.0.0.1:9", "info", "--data-dir", str(tmp_path)],
        env={"NEWSRAG_CHROMA_URL": ""},
    )
    assert down.exit_code == 2 and "Chroma server at http://127.0.0.1:9" in down.output
    assert "Traceback" not in down.output
