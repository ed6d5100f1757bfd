"""PostgreSQL as the records backend, where the database is the subject: a writer and a reader
that share nothing on disk, the migration from an embedded store, BM25 level with FTS5, and
clear one-line errors that never show the password. A real server (tests/pg_server.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from ingest.pipeline import ingest
from rag.config import Settings
from rag.retrieval import Filters
from rag.store import NewsStore, open_store
from tests.conftest import SAMPLE_CORPUS, HashingEmbeddings, free_port, store_env, write
from tests.pg_server import create_database
from ui.cli import app

NAM = "world/nam-chair-uganda"


@pytest.fixture
def database(postgres_server: str) -> Any:
    """A database of its own, with a password in its URL (the server trusts 127.0.0.1, so the
    password is never checked: it is there to prove that it is never shown)."""
    url = create_database(postgres_server).replace("postgres@", "postgres:hunter2@", 1)
    yield url
    from rag.postgres import close_pools

    close_pools()


def newsrag(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("newsrag")), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.models
def test_a_writer_and_a_reader_share_nothing_on_disk(
    tmp_path: Path, chroma_server: str, database: str
) -> None:
    """Two data dirs, one PostgreSQL, one `chroma run`: the writer's articles reach a reader
    that never touches the writer's disk, in hybrid and in lexical retrieval."""
    from rag.chain import build_pipeline

    writer = Settings(
        data_dir=tmp_path / "writer",
        chroma_url=chroma_server,
        collection=f"t{uuid.uuid4().hex[:16]}",
        database_url=SecretStr(database),
        llm="none",
    )
    env = {**store_env(writer), "HF_HUB_OFFLINE": "1"}
    first = newsrag(
        "ingest", str(SAMPLE_CORPUS), "--data-dir", str(writer.data_dir), "--json", env=env
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] >= 10

    reader = build_pipeline(writer.model_copy(update={"data_dir": tmp_path / "reader"}))
    answer = reader.ask("Who took over the NAM chair?").answer()
    assert answer.sources and answer.sources[0].doc_id == NAM
    assert "Uganda" in answer.answer
    reader.retriever.mode = "lexical"
    assert reader.search("NAM chair")[0].doc_id == NAM
    reader.retriever.mode = "hybrid"

    text = "Harbour bridge reopens\n\nThe harbour bridge reopened after repairs costing 63m."
    write(tmp_path / "new" / "harbour.txt", text)
    second = newsrag("ingest", str(tmp_path / "new"), "--data-dir", str(writer.data_dir), env=env)
    assert second.returncode == 0, second.stderr
    found = reader.search("harbour bridge repairs")  # the same open reader, no restart
    assert found and found[0].doc_id == "harbour"
    for folder in (tmp_path / "writer", tmp_path / "reader"):
        kept = [p.name for p in folder.rglob("*")] if folder.exists() else []
        assert not {"articles.sqlite3", "chroma", "writer.lock"} & set(kept), kept


def embedded_sample(data_dir: Path, collection: str = "news") -> NewsStore:
    store = open_store(Settings(data_dir=data_dir, collection=collection), "fake")
    ingest([SAMPLE_CORPUS], store, HashingEmbeddings())
    store.side_table("web_signatures").put("world/nam-chair-uganda", [1, 2, 3])
    return store


def test_migrate_copies_records_index_and_vectors_without_embedding_and_can_rerun(
    tmp_path: Path, chroma_server: str, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    collection = f"t{uuid.uuid4().hex[:16]}"  # the source's, and the server's copy's
    source = embedded_sample(tmp_path / "data", collection)
    monkeypatch.setattr("rag.models.make_embeddings", lambda *a, **k: pytest.fail("embedded"))
    monkeypatch.setenv("NEWSRAG_COLLECTION", collection)
    monkeypatch.setenv("NEWSRAG_CHROMA_URL", chroma_server)  # the source stays the embedded one
    args = ["migrate", "--to", database, "--chroma-url", chroma_server]
    args += ["--data-dir", str(tmp_path / "data")]
    runs = [CliRunner().invoke(app, args) for _ in range(2)]  # the second: a re-run
    for run in runs:
        assert run.exit_code == 0, run.output
        assert "hunter2" not in run.output and "postgres:***@" in run.output
        assert f"copied {source.article_count()} articles" in run.output
        assert f"copied {source.count_chunks()} chunks" in run.output
    target = Settings(
        data_dir=tmp_path / "elsewhere",
        chroma_url=chroma_server,
        collection=collection,
        database_url=SecretStr(database),
    )
    copy = open_store(target, "fake")
    assert copy.records.listing(limit=1000) == source.records.listing(limit=1000)
    assert copy.records.lexical_keys() == source.records.lexical_keys()
    assert copy.records.lexical_rows([NAM]) == source.records.lexical_rows([NAM])
    assert dict(copy.side_table("web_signatures").items()) == {NAM: [1, 2, 3]}
    ids = sorted(source.collection.get(include=[])["ids"])
    assert sorted(copy.collection.get(include=[])["ids"]) == ids  # none twice after the re-run
    theirs, ours = source.chunks_with_vectors(ids), copy.chunks_with_vectors(ids)
    for chunk_id in ids:
        assert theirs[chunk_id][:2] == ours[chunk_id][:2]
        assert theirs[chunk_id][2] == pytest.approx(ours[chunk_id][2], abs=1e-6)


def test_bm25_in_postgresql_ranks_as_fts5_does(tmp_path: Path, database: str) -> None:
    sqlite = embedded_sample(tmp_path / "a").records
    pg = open_store(Settings(data_dir=tmp_path / "b", database_url=SecretStr(database)), "fake")
    ingest([SAMPLE_CORPUS], pg, HashingEmbeddings())
    questions = [
        "Who took over the NAM chair?",
        "Which country landed SLIM on the moon?",
        "Who won the Euro 2024 final in Berlin?",
        "How much climate finance was agreed at COP29?",
        "Andres Lopez and Xochitl Galvez",  # accents folded alike (the text has López)
    ]
    for question in questions:
        ours = pg.records.lexical_search(question, 5, Filters())
        theirs = sqlite.lexical_search(question, 5, Filters())
        assert ours, question
        assert [h.doc_id for h in ours] == [h.doc_id for h in theirs], question
        assert [h.bm25 for h in ours] == pytest.approx([h.bm25 for h in theirs], rel=0.05)
    day = pg.records.lexical_search("chair", 5, Filters(since="2024-06-01"))
    assert NAM not in {h.doc_id for h in day}  # published 2024-01-20


def test_lexical_totals_follow_replace_and_delete(tmp_path: Path, database: str) -> None:
    """BM25's chunk and token totals are counters: they must match the index exactly."""
    import psycopg

    store = open_store(Settings(data_dir=tmp_path / "d", database_url=SecretStr(database)), "fake")
    folder = tmp_path / "news"
    write(folder / "a.txt", "Budget\n\n" + "The council met. " * 200)
    write(folder / "b.txt", "Bridge\n\nThe bridge reopened.")
    ingest([folder], store, HashingEmbeddings(), chunk_chars=300)
    write(folder / "a.txt", "Budget\n\nNow short.")
    (folder / "b.txt").unlink()
    ingest([folder], store, HashingEmbeddings(), chunk_chars=300, prune=True)
    with psycopg.connect(database) as db:
        counters = dict(db.execute("SELECT key, value FROM store_state").fetchall())
        chunks, tokens = db.execute("SELECT count(*), sum(length) FROM chunks_lex").fetchone()
        postings = db.execute("SELECT count(DISTINCT (doc_id, chunk)) FROM lex_postings").fetchone()
    assert (counters["lex_chunks"], counters["lex_tokens"]) == (chunks, tokens) == (1, 4)
    assert postings[0] == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://newsrag:hunter2@db/news", "wants postgresql://"),
        ("postgresql://newsrag:hunter2@127.0.0.1:{port}/news", "cannot reach the PostgreSQL"),
    ],
)
def test_a_bad_database_url_is_one_clear_line_without_the_password(
    tmp_path: Path, url: str, expected: str
) -> None:
    url = url.format(port=free_port())
    result = CliRunner().invoke(
        app, ["--database-url", url, "info", "--data-dir", str(tmp_path / "d")]
    )
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and expected in result.output
    assert "hunter2" not in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_info_names_the_database_without_its_password(tmp_path: Path, database: str) -> None:
    env_free = ["--database-url", database, "info", "--json", "--data-dir", str(tmp_path / "d")]
    result = CliRunner().invoke(app, env_free)
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert json.loads(result.output)["records"] == database.replace("hunter2", "***")
