"""Ingestion against a real Chroma store in tmp_path (fake embeddings: the model is not the
subject here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.config import Settings
from rag.store import NewsStore, StoreError, open_store
from tests.conftest import SAMPLE_CORPUS, HashingEmbeddings, write


@pytest.fixture
def settings(store_settings: Settings) -> Settings:
    """Every test here runs on the embedded store, on a real Chroma server, and on that server
    with the records in PostgreSQL."""
    return store_settings


BODY = "The council approved the budget on Monday. It will fund three new schools. " * 3


def make_corpus(root: Path) -> Path:
    write(root / "bbc" / "business" / "001.txt", f"Budget approved\n\n{BODY}\n")
    write(
        root / "bbc" / "tech" / "002.txt", "Chip maker grows\n\nSales of chips rose 12% in May.\n"
    )
    write(root / "seed" / "003.txt", " date 2024-12-28 + ↺ − 16 px\n\nUganda took the chair.\n")
    return root


def ids_of(store: NewsStore) -> list[str]:
    return sorted(store.collection.get(include=[])["ids"])


def test_first_ingest_adds_every_article_with_path_doc_ids(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    store = open_store(settings, "fake")
    report = ingest([make_corpus(tmp_path / "news")], store, fake_embeddings)
    assert (report.files_seen, report.added, report.skipped) == (3, 3, [])
    assert store.records.count() == 3
    assert ids_of(store) == ["bbc/business/001:0", "bbc/tech/002:0", "seed/003:0"]
    assert report.chunks_written == store.count_chunks() == 3
    meta = store.collection.get(ids=["seed/003:0"])["metadatas"][0]
    assert meta["published"] == "2024-12-28" and meta["published_day"] == 20241228
    assert meta["source"] == "seed" and meta["chunk"] == 0


def test_reingesting_unchanged_files_embeds_nothing(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    corpus = make_corpus(tmp_path / "news")
    store = open_store(settings, "fake")
    ingest([corpus], store, fake_embeddings)
    embedded = fake_embeddings.texts_embedded
    again = ingest([corpus], open_store(settings, "fake"), fake_embeddings)
    assert (again.added, again.updated, again.unchanged, again.chunks_written) == (0, 0, 3, 0)
    assert fake_embeddings.texts_embedded == embedded


def test_changed_file_replaces_only_its_own_chunks(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    corpus = make_corpus(tmp_path / "news")
    long_text = "Budget approved\n\n" + " ".join(f"Sentence number {i} is here." for i in range(80))
    write(corpus / "bbc" / "business" / "001.txt", long_text)
    store = open_store(settings, "fake")
    ingest([corpus], store, fake_embeddings, chunk_chars=300)
    assert len([i for i in ids_of(store) if i.startswith("bbc/business/001:")]) > 3
    before = store.collection.get(ids=["bbc/tech/002:0"], include=["embeddings"])

    write(corpus / "bbc" / "business" / "001.txt", "Budget approved\n\nA short new version.\n")
    report = ingest([corpus], store, fake_embeddings, chunk_chars=300)
    assert (report.updated, report.unchanged, report.chunks_written) == (1, 2, 1)
    assert [i for i in ids_of(store) if i.startswith("bbc/business/001:")] == ["bbc/business/001:0"]
    assert store.collection.get(ids=["bbc/business/001:0"])["documents"] == ["A short new version."]
    after = store.collection.get(ids=["bbc/tech/002:0"], include=["embeddings"])
    assert (before["embeddings"] == after["embeddings"]).all()
    assert store.records.get("bbc/business/001").chunks == 1


def test_prune_drops_articles_whose_files_are_gone_and_nothing_else(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    corpus = make_corpus(tmp_path / "news")
    other = write(tmp_path / "elsewhere" / "keep.md", "# Kept\n\nThis one stays.\n")
    store = open_store(settings, "fake")
    ingest([corpus, other], store, fake_embeddings)
    (corpus / "bbc" / "tech" / "002.txt").unlink()

    without_prune = ingest([corpus], store, fake_embeddings)
    assert without_prune.removed == 0 and store.records.get("bbc/tech/002")

    report = ingest([corpus], store, fake_embeddings, prune=True)
    assert (report.removed, report.chunks_deleted) == (1, 1)
    assert ids_of(store) == ["bbc/business/001:0", "keep:0", "seed/003:0"]


def test_bad_files_are_skipped_with_reasons_and_never_abort_the_run(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    corpus = make_corpus(tmp_path / "news")
    write(corpus / "empty.txt", b"")
    write(corpus / "picture.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 2)
    write(corpus / "broken.json", '{"title": ')
    write(corpus / "slides.pdf", b"%PDF-1.4")
    write(corpus / "big.txt", "Big\n\n" + "word " * 400)
    outside = write(tmp_path / "secret.txt", "Secret\n\nNot for the store.\n")
    (corpus / "link.txt").symlink_to(outside)
    write(corpus / "README.txt", "About this dataset")

    report = ingest([corpus], open_store(settings, "fake"), fake_embeddings, max_file_bytes=1000)
    reasons = {Path(s["path"]).name: s["reason"] for s in report.skipped}
    assert reasons == {
        "empty.txt": "empty file",
        "picture.txt": "binary file (NUL bytes)",
        "broken.json": "invalid JSON: Expecting value at line 1",
        "slides.pdf": "unsupported file type '.pdf'",
        "big.txt": "file too large (2,005 bytes > 1,000)",
        "link.txt": "link outside the folder",
    }
    assert report.added == 3
    assert [Path(p).name for p in report.ignored] == ["README.txt"]


def test_single_file_gets_its_stem_as_doc_id(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    path = write(tmp_path / "x" / "nam-summit.txt", "NAM summit\n\nUganda took the chair.\n")
    store = open_store(settings, "fake")
    ingest([path], store, fake_embeddings)
    assert ids_of(store) == ["nam-summit:0"]


def test_store_built_with_another_model_fails_clearly(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    ingest([make_corpus(tmp_path / "news")], open_store(settings, "model-a"), fake_embeddings)
    with pytest.raises(StoreError, match=r"built with the embedding model 'model-a'.*'model-b'"):
        open_store(settings, "model-b")
    store = open_store(settings, "model-a")
    with pytest.raises(StoreError, match="256-dimensional"):
        store.check_dimension(384)


def test_collection_uses_cosine_distance(settings: Settings) -> None:
    store = open_store(settings, "fake")
    assert store.collection.configuration["hnsw"]["space"] == "cosine"


def test_sample_corpus_loads_in_every_format(
    settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    store = open_store(settings, "fake")
    report = ingest([SAMPLE_CORPUS], store, fake_embeddings)
    assert report.skipped == [] and report.files_seen >= 10
    suffixes = {p.suffix for p in SAMPLE_CORPUS.rglob("*") if p.is_file()}
    assert {".txt", ".md", ".html", ".json", ".jsonl"} <= suffixes
    nam = store.records.get("world/nam-chair-uganda")
    assert nam and nam.published == "2024-01-20"
    assert all(store.records.get(d) for d in ["science/slim-moon-landing", "sport/euro-2024-final"])
    undated = [r for r in store.collection.get()["metadatas"] if not r["published"]]
    assert undated == []


@pytest.mark.datasets
def test_bbc_folder_ingests_every_article_then_nothing_then_one(
    tmp_path: Path, datasets: Path
) -> None:
    """2,225 files, one Latin-1; fake embeddings, since loading and hashing are the subject."""
    corpus = tmp_path / "bbc"
    shutil.copytree(datasets / "bbc", corpus)
    settings = Settings(data_dir=tmp_path / "data")
    store = open_store(settings, "fake")
    embeddings = HashingEmbeddings(dim=32)
    first = ingest([corpus], store, embeddings)
    assert (first.added, first.skipped) == (2225, [])
    assert store.records.count() == 2225
    latin1 = store.collection.get(where={"doc_id": "sport/199"})["documents"]
    assert any("£" in text for text in latin1) and not any("\ufffd" in t for t in latin1)

    second = ingest([corpus], store, embeddings)
    assert (second.unchanged, second.chunks_written) == (2225, 0)

    edited = corpus / "tech" / "001.txt"
    edited.write_text(edited.read_text() + "\nAn added closing sentence.\n")
    third = ingest([corpus], store, embeddings)
    assert (third.updated, third.unchanged) == (1, 2224)
    assert third.chunks_written == store.records.get("tech/001").chunks
