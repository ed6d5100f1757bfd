"""No data lost: a killed ingest resumes to exactly what a clean run gives; one writer at a time
while readers keep answering; hostile files and questions get reasons, never tracebacks."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ingest.pipeline import ingest
from rag.config import Settings
from rag.lock import StoreBusy
from rag.store import NewsStore, open_store
from tests.conftest import (
    ROOT,
    HashingEmbeddings,
    mode_settings,
    sample_pipeline,
    store_env,
    write,
)
from ui.cli import app

WORDS = (
    "harbour bridge council tram strike union budget minister election court ferry storm "
    "festival museum airport rail energy prices hospital school river"
).split()


def make_corpus(folder: Path, articles: int) -> Path:
    rng = random.Random(7)
    for n in range(articles):
        paragraphs = rng.randint(1, 4)  # some articles span several chunks
        body = "\n\n".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 140))).capitalize() + "."
            for _ in range(paragraphs)
        )
        write(folder / f"desk{n % 7}" / f"{n:04d}.txt", f"Story number {n}\n\n{body}\n")
    return folder


def worker(settings: Settings, corpus: Path, *extra: str) -> subprocess.Popen[str]:
    """tests/ingest_worker.py on the store `settings` describe (its mode by environment)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ingest_worker", str(settings.data_dir), str(corpus), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=store_env(settings),
    )


@pytest.fixture
def mode_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for the mode a test is parametrized with (indirect): see store_settings."""
    yield from mode_settings(request, Settings(data_dir=tmp_path / "data"), request.param)


def snapshot(settings: Settings) -> dict[str, Any]:
    """Everything a run leaves behind: chunks (text and metadata), article records and the
    lexical index's rows."""
    store = open_store(settings, "fake")
    chunks = store.collection.get(include=["documents", "metadatas"])
    records = {r.doc_id: (r.content_hash, r.chunks) for r in store.records.listing(limit=10**6)}
    return {
        "chunks": sorted(
            zip(
                chunks["ids"],
                chunks["documents"],
                [json.dumps(m, sort_keys=True) for m in chunks["metadatas"]],
                strict=True,
            )
        ),
        "records": records,
        "lexical": sorted(store.records.lexical_keys()),
    }


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], float]:
    corpus = make_corpus(tmp_path_factory.mktemp("corpus"), 1000)
    clean = Settings(data_dir=tmp_path_factory.mktemp("clean"))
    started = time.monotonic()
    process = worker(clean, corpus)
    assert process.wait(timeout=600) == 0, process.stderr.read() if process.stderr else ""
    return corpus, snapshot(clean), time.monotonic() - started


def committed_articles(settings: Settings) -> Iterator[int]:
    """The worker's committed records, read afresh on each next() without blocking it
    (SQLite in WAL mode; PostgreSQL's MVCC)."""
    import sqlite3

    if settings.database_dsn:
        import psycopg

        with psycopg.connect(settings.database_dsn, autocommit=True) as db:
            while True:
                try:
                    yield int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
                except psycopg.errors.UndefinedTable:  # the worker has not made it yet
                    yield 0
    path = f"file:{settings.records_path}?mode=ro"
    while True:
        try:
            with sqlite3.connect(path, uri=True) as db:
                yield int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
        except sqlite3.Error:
            yield 0


def wait_for_articles(settings: Settings, target: int, process: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 300
    counts = committed_articles(settings)
    while time.monotonic() < deadline and process.poll() is None:
        count = next(counts)
        if count >= target:
            return count
        time.sleep(0.01)
    return -1


# Five kill points on the embedded store, three on Chroma server + PostgreSQL (slower per run).
CRASH_RUNS = [("embedded", t) for t in range(5)] + [("server+postgres", t) for t in range(3)]


@pytest.mark.parametrize(
    ("mode_store", "trial"),
    CRASH_RUNS,
    indirect=["mode_store"],
    ids=[f"{m}-{t}" for m, t in CRASH_RUNS],
)
def test_kill_9_mid_ingest_then_rerun_gives_exactly_the_clean_result(
    big_corpus: tuple[Path, dict[str, Any], float], mode_store: Settings, trial: int
) -> None:
    """The clean result is the embedded store's: every backend must end with exactly it."""
    corpus, clean, _ = big_corpus
    process = worker(mode_store, corpus)
    target = random.Random(trial).randint(50, 950)  # kill once this many articles committed
    committed = wait_for_articles(mode_store, target, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    print(f"killed after {committed} of 1000 articles were committed")
    assert 0 < committed < 1000
    resumed = worker(mode_store, corpus)  # also: the dead writer's lock went with it
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read() if resumed.stderr else ""
    after = snapshot(mode_store)
    assert len(after["chunks"]) == len(clean["chunks"])  # none missing, none duplicated
    assert after == clean  # none half-written either


@pytest.mark.parametrize("mode_store", ["embedded", "server+postgres"], indirect=True)
def test_a_second_writer_is_refused_while_readers_keep_answering(
    mode_store: Settings, tmp_path: Path
) -> None:
    settings = mode_store
    pipeline = sample_pipeline(settings, None)  # a reader of the same store
    holder = worker(settings, tmp_path, "--hold", "20")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        holder_at = r" on [^ ]+ \(" if settings.database_dsn else " "
        with pytest.raises(StoreBusy, match=rf"pid \d+{holder_at}.* is writing to"):
            ingest(
                [write(tmp_path / "new.txt", "Title\n\nSome text.")],
                pipeline.retriever.store,
                HashingEmbeddings(),
            )
        answer = pipeline.ask("Who took over the Non-Aligned Movement chair?").answer()
        assert answer.sources and answer.sources[0].doc_id == "world/nam-chair-uganda"
        import typer

        from ui.cli import guarded

        def second_writer() -> None:
            raise StoreBusy("pid 1 (newsrag ingest) is writing to /data")

        with pytest.raises(typer.Exit) as exited:  # the CLI: one line, exit status 2
            guarded(second_writer)
        assert exited.value.exit_code == 2
    finally:
        holder.kill()
        holder.wait()
    report = ingest([tmp_path / "new.txt"], pipeline.retriever.store, HashingEmbeddings())
    assert report.added == 1  # the lock went with the process that held it


def hostile_corpus(root: Path, outside: Path) -> Path:
    folder = root / "corpus"
    write(folder / "good.txt", "Good article\n\nThe harbour bridge reopened on Monday.")
    write(folder / "empty.txt", b"")
    with (folder / "huge.txt").open("wb") as handle:
        handle.write(b"word " * (50 * 1024 * 1024 // 5))
    write(folder / "image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    write(folder / "nul.txt", b"Title\n\nText with \x00 NUL \x00 bytes in the middle of it.")
    write(folder / "utf16.txt", "Bridge reopens\n\nThe bridge cost £63m.".encode("utf-16"))
    write(folder / "bad-utf8.txt", b"Caf\xc3 title\n\nBad \xff\xfe bytes but mostly text here.")
    write(folder / "surrogate.json", b'{"title": "Lone \\ud800 surrogate", "text": "Body text."}')
    write(
        folder / "zero-width.md", "# Zero\u200bwidth \u202eright-to-left\u202c title\n\nBody text."
    )
    write(folder / "one-line.txt", "Long line " + "x" * (5 * 1024 * 1024))
    write(outside / "secret.txt", "Secret outside the folder\n\nDo not read me.")
    (folder / "link.txt").symlink_to(outside / "secret.txt")
    write(folder / "..weird..name.txt", "Dotted name\n\nAn article whose name has two dots.")
    return folder


def test_hostile_corpus_good_files_in_bad_ones_skipped_with_reasons(
    store_fake: NewsStore, tmp_path: Path
) -> None:
    folder = hostile_corpus(tmp_path, tmp_path / "outside")
    report = ingest([folder], store_fake, HashingEmbeddings(), max_file_bytes=20_000_000)
    skipped = {Path(s["path"]).name: s["reason"] for s in report.skipped}
    assert set(skipped) == {"empty.txt", "huge.txt", "image.txt", "link.txt"}, skipped
    assert "too large" in skipped["huge.txt"] and "outside" in skipped["link.txt"]
    titles = {r.title for r in store_fake.records.listing(limit=100)}
    assert "Secret outside the folder" not in titles
    stored = " ".join(store_fake.collection.get()["documents"])
    assert "Do not read me" not in stored and "\x00" not in stored and "\u202e" not in stored
    assert "£63m" in stored  # the UTF-16 file was read


def test_a_pipe_and_a_json_bomb_are_skipped_and_the_run_goes_on(
    store_fake: NewsStore, tmp_path: Path
) -> None:
    folder = tmp_path / "corpus"
    write(folder / "a-good.txt", "Good article\n\nThe harbour bridge reopened on Monday.")
    os.mkfifo(folder / "b-pipe.txt")  # opening it would wait for a writer forever
    write(folder / "c-deep.json", "[" * 100_000 + "]" * 100_000)
    nested = '{"a": ' * 50_000 + "1" + "}" * 50_000
    write(folder / "d-deep-in-lines.jsonl", '{"text": "ok"}\n' + nested)
    write(folder / "e-good.md", "# Second good article\n\nThe ferry sailed again on Tuesday.")
    done: list[Any] = []
    worker = threading.Thread(
        target=lambda: done.append(ingest([folder], store_fake, HashingEmbeddings())), daemon=True
    )
    started = time.monotonic()
    worker.start()
    worker.join(timeout=60)
    assert done, "the ingest hung"
    report = done[0]
    assert time.monotonic() - started < 30
    skipped = {Path(s["path"]).name: s["reason"] for s in report.skipped}
    assert "named pipe" in skipped["b-pipe.txt"]
    assert "nested deeper than" in skipped["c-deep.json"]
    assert "nested deeper than" in skipped["d-deep-in-lines.jsonl"]
    assert report.added == 2 and {r.title for r in store_fake.records.listing()} == {
        "Good article",
        "Second good article",
    }


def test_any_parser_failure_skips_only_that_file(
    store_fake: NewsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.pipeline as pipeline_module

    real = pipeline_module.load_article_bytes

    def flaky(raw: bytes, suffix: str, doc_id: str, source: str) -> Any:
        if doc_id == "boom":
            raise KeyError("an unexpected parser bug")
        return real(raw, suffix, doc_id, source)

    monkeypatch.setattr(pipeline_module, "load_article_bytes", flaky)
    write(tmp_path / "c" / "boom.txt", "Boom\n\nThis one trips the parser.")
    write(tmp_path / "c" / "fine.txt", "Fine article\n\nThis one is fine.")
    report = ingest([tmp_path / "c"], store_fake, HashingEmbeddings())
    assert report.added == 1
    assert [s["reason"] for s in report.skipped] == [
        "could not be parsed (KeyError: 'an unexpected parser bug')"
    ]


@pytest.fixture
def store_fake(settings: Settings) -> NewsStore:
    return open_store(settings, "fake")


@pytest.mark.parametrize(
    "question", ["", "   \n\t ", "x" * 100_000, "Who\x00 took\x07 over the \x1b[31mNAM\x08 chair?"]
)
def test_bad_questions_get_a_bounded_answer_and_the_next_one_works(
    settings: Settings, question: str
) -> None:
    pipeline = sample_pipeline(settings, None)
    if not question.strip():
        result = CliRunner().invoke(app, ["ask", question, "--data-dir", str(settings.data_dir)])
        assert result.exit_code == 2 and "the question is empty" in result.output
    else:
        answer = pipeline.ask(question).answer()
        assert len(answer.question) <= 2000 and not any(ord(c) < 32 for c in answer.question)
        assert len(answer.answer) < 5000
    assert pipeline.ask("Who took over the Non-Aligned Movement chair?").answer().sources


@pytest.mark.parametrize("mode_store", ["embedded", "server+postgres"], indirect=True)
def test_a_reader_sees_what_a_writer_process_commits(mode_store: Settings, tmp_path: Path) -> None:
    settings = mode_store
    pipeline = sample_pipeline(settings, None)  # the chat: its store stays open throughout
    assert "harbour" not in {s.doc_id for s in pipeline.search("harbour bridge repairs")}
    text = "Harbour bridge reopens\n\nThe harbour bridge reopened after repairs costing 63m."
    write(tmp_path / "new" / "harbour.txt", text)
    writer = worker(settings, tmp_path / "new")
    assert writer.wait(timeout=120) == 0, writer.stderr.read() if writer.stderr else ""
    found = pipeline.search("harbour bridge repairs")
    assert found and found[0].doc_id == "harbour"
