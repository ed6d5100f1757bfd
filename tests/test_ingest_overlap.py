"""Ingestion with reading, embedding and writing overlapped (ingest/overlap.py): the same store
as a plain one-at-a-time run, one broken file reported by the reader thread, and an error in
any stage raised in the caller with every thread stopped and the writer lock free again."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest.chunking import chunk_article, embedding_text
from ingest.loaders import load_article_bytes
from ingest.pipeline import ingest
from rag.config import Settings
from rag.store import NewsStore, open_store
from tests.conftest import HashingEmbeddings, write

WORDS = "harbour bridge council tram strike union budget minister election court ferry".split()


def make_corpus(folder: Path, articles: int = 12) -> Path:
    """Articles of one to five chunks of uneven length, so a batch holds texts of many sizes."""
    for n in range(articles):
        sentences = [
            " ".join(WORDS[(n + i + j) % len(WORDS)] for j in range(3 + (n * i) % 17)).capitalize()
            + "."
            for i in range(4 + 7 * (n % 5))
        ]
        write(folder / f"desk{n % 3}" / f"{n:03d}.txt", f"Story {n}\n\n" + " ".join(sentences))
    return folder


class OrderSpy(HashingEmbeddings):
    """Remembers the order in which texts reached the model."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.seen.extend(texts)
        return super().embed_documents(texts)


def ingest_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("ingest-")]


@pytest.fixture
def store(settings: Settings) -> NewsStore:
    return open_store(settings, "fake")


def test_sorted_batches_keep_every_vector_with_its_own_chunk(
    store: NewsStore, tmp_path: Path
) -> None:
    corpus = make_corpus(tmp_path / "news")
    spy = OrderSpy()
    report = ingest([corpus], store, spy, chunk_chars=300, batch_chunks=40)
    plain: dict[str, list[float]] = {}  # the plain path: each chunk's text, embedded alone
    in_file_order: list[str] = []
    for path in sorted(corpus.rglob("*.txt")):
        doc_id = path.relative_to(corpus).with_suffix("").as_posix()
        for article in load_article_bytes(path.read_bytes(), ".txt", doc_id, path.parent.name):
            for chunk in chunk_article(article, 300):
                in_file_order.append(embedding_text(article, chunk))
                plain[f"{doc_id}:{chunk.number}"] = HashingEmbeddings().embed_query(
                    in_file_order[-1]
                )
    assert spy.seen != in_file_order and sorted(spy.seen) == sorted(in_file_order)
    stored = store.collection.get(include=["embeddings"])
    assert report.chunks_written == len(plain) == len(stored["ids"]) > 40
    for chunk_id, vector in zip(stored["ids"], stored["embeddings"], strict=True):
        assert np.allclose(vector, plain[chunk_id]), chunk_id


def test_articles_that_shrink_together_lose_only_their_own_old_tails(
    store: NewsStore, tmp_path: Path
) -> None:
    corpus = make_corpus(tmp_path / "news")
    ingest([corpus], store, HashingEmbeddings(), chunk_chars=300, batch_chunks=10**6)
    counts = {r.doc_id: r.chunks for r in store.records.listing(limit=100)}
    shrunk = [doc_id for doc_id, n in counts.items() if n > 2][:3]
    for doc_id in shrunk:
        write(corpus / f"{doc_id}.txt", f"Story {doc_id}\n\nNow a single short sentence.")
    report = ingest([corpus], store, HashingEmbeddings(), chunk_chars=300, batch_chunks=10**6)
    assert report.updated == len(shrunk) == 3
    ids = set(store.collection.get(include=[])["ids"])
    expected = {f"{d}:{n}" for d, c in counts.items() for n in range(1 if d in shrunk else c)}
    assert ids == expected


def test_each_batch_reaches_the_model_shortest_first(store: NewsStore, tmp_path: Path) -> None:
    spy = OrderSpy()
    ingest([make_corpus(tmp_path / "news")], store, spy, chunk_chars=300, batch_chunks=10**6)
    lengths = [len(t) for t in spy.seen]
    assert spy.calls == 1 and lengths == sorted(lengths) and len(set(lengths)) > 10


def test_a_broken_file_is_reported_by_the_reader_thread_and_the_run_goes_on(
    store: NewsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.pipeline as pipeline_module

    real = pipeline_module.load_article_bytes
    threads: set[str] = set()

    def flaky(raw: bytes, suffix: str, doc_id: str, source: str) -> Any:
        threads.add(threading.current_thread().name)
        if doc_id == "desk1/004":
            raise KeyError("an unexpected parser bug")
        return real(raw, suffix, doc_id, source)

    monkeypatch.setattr(pipeline_module, "load_article_bytes", flaky)
    report = ingest([make_corpus(tmp_path / "news")], store, HashingEmbeddings(), batch_chunks=4)
    assert threads == {"ingest-read"}
    assert (report.files_seen, report.added) == (12, 11)
    assert [Path(s["path"]).name for s in report.skipped] == ["004.txt"]
    assert store.records.get("desk0/003") and not store.records.get("desk1/004")


class FailingEmbeddings(HashingEmbeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.calls == 2:
            raise RuntimeError("the encoder failed")
        return super().embed_documents(texts)


def assert_records_describe_stored_chunks(store: NewsStore) -> None:
    stored = set(store.collection.get(include=[])["ids"])
    for record in store.records.listing(limit=10**6):
        assert {f"{record.doc_id}:{n}" for n in range(record.chunks)} <= stored


def test_an_encoder_error_stops_every_stage_and_frees_the_store(
    store: NewsStore, tmp_path: Path
) -> None:
    corpus = make_corpus(tmp_path / "news")
    with pytest.raises(RuntimeError, match="the encoder failed"):
        ingest([corpus], store, FailingEmbeddings(), batch_chunks=4)
    assert ingest_threads() == []
    assert store.records.count() < 12  # embedded batches not yet stored are dropped
    assert_records_describe_stored_chunks(store)
    again = ingest([corpus], store, HashingEmbeddings(), batch_chunks=4)  # the lock is free
    assert again.added + again.unchanged == 12 and store.records.count() == 12


def test_a_writer_error_is_raised_in_the_caller_and_nothing_hangs(
    store: NewsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store.upsert
    calls: list[int] = []

    def failing(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        real(*args)

    monkeypatch.setattr(store, "upsert", failing)
    with pytest.raises(OSError, match="disk full"):
        ingest([make_corpus(tmp_path / "news")], store, HashingEmbeddings(), batch_chunks=4)
    assert ingest_threads() == []
    assert 0 < store.records.count() < 12
    assert_records_describe_stored_chunks(store)


def test_an_unexpected_error_in_the_reader_thread_is_raised_not_swallowed(
    store: NewsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.pipeline as pipeline_module

    def broken_chunker(*args: Any) -> Any:
        raise ValueError("a chunking bug")

    monkeypatch.setattr(pipeline_module, "prepare", broken_chunker)
    with pytest.raises(ValueError, match="a chunking bug"):
        ingest([make_corpus(tmp_path / "news")], store, HashingEmbeddings())
    assert ingest_threads() == []


def test_the_report_says_where_the_time_went(store: NewsStore, tmp_path: Path) -> None:
    report = ingest([make_corpus(tmp_path / "news")], store, HashingEmbeddings()).as_dict()
    stages = ["parse_seconds", "encode_seconds", "write_seconds", "encoder_idle_seconds"]
    assert all(report[name] >= 0 for name in stages)
    assert report["parse_seconds"] > 0 and report["encode_seconds"] > 0
    assert report["write_seconds"] > 0


def test_the_read_ahead_is_bounded_by_chunks_and_one_big_file_still_fits() -> None:
    from ingest.overlap import Backlog

    backlog, stop = Backlog(max_chunks=10), threading.Event()
    backlog.put("a", 8, stop)
    blocked = threading.Thread(target=backlog.put, args=("b", 5, stop), daemon=True)
    blocked.start()
    blocked.join(timeout=0.3)
    assert blocked.is_alive() and backlog.chunks == 8  # 13 chunks would not fit
    assert backlog.get() == "a"
    blocked.join(timeout=10)
    assert not blocked.is_alive() and backlog.get() == "b"
    backlog.put("one huge file", 500, stop)  # alone, it always fits
    assert backlog.get() == "one huge file" and backlog.chunks == 0
