"""ingest(paths) -> IngestReport: hash-skip, replace changed articles, prune vanished files.

Crash safety: chunk ids are deterministic (`doc_id:chunk`) and written with upsert, and an
article's record is committed only after its chunks are stored. A run killed at any point
leaves records that describe stored chunks, and re-running rewrites whatever is missing.

Reading, embedding and writing overlap (ingest/overlap.py): files are read and chunked in one
thread and stored in another while the encoder works.
"""

from __future__ import annotations

import hashlib
import logging
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from ingest import overlap
from ingest.batch import Batch, embed_by_length, prepare, remove_articles, store_batch
from ingest.clean import UnreadableFile
from ingest.loaders import Article, load_article_bytes, read_file
from ingest.overlap import FileOutcome
from ingest.report import IngestReport, report_lines
from rag.database import RecordLookup
from rag.store import NewsStore

__all__ = ["IngestReport", "ingest", "remove_articles", "report_lines"]
logger = logging.getLogger(__name__)

LOADER_VERSION = "1"  # bump when parsing or chunking changes, so every file is re-read
# Dataset documentation that sits beside articles; never an article itself.
NOT_ARTICLES = ("readme", "license", "licence", "copying", "changelog")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    root: Path
    doc_id: str
    default_source: str


def discover(paths: list[Path], report: IngestReport) -> Iterator[SourceFile]:
    """Files under the given paths with their doc ids; links leading outside are skipped."""
    for given in paths:
        root = given.resolve()
        if not root.exists():
            report.skipped.append({"path": str(given), "reason": "no such file or folder"})
        elif root.is_file():
            yield SourceFile(root, root.parent, root.stem, root.parent.name or "local")
        elif not root.is_dir():
            report.files_seen += 1
            report.skipped.append({"path": str(given), "reason": not_regular(root)})
        else:
            for path in sorted(p for p in root.rglob("*") if not p.is_dir()):
                relative = path.relative_to(root)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if path.name.lower().startswith(NOT_ARTICLES):
                    report.ignored.append(str(path))
                    continue
                if not path.resolve().is_relative_to(root):
                    report.files_seen += 1
                    report.skipped.append({"path": str(path), "reason": "link outside the folder"})
                    continue
                source = relative.parts[0] if len(relative.parts) > 1 else root.name
                doc_id = relative.with_suffix("").as_posix()
                yield SourceFile(path.absolute(), root, doc_id, source)


class Ingestor:
    """Writes articles to the store one batch at a time, in the calling thread (web pages)."""

    def __init__(self, store: NewsStore, embeddings: Embeddings, chunk_chars: int) -> None:
        self.store = store
        self.embeddings = embeddings
        self.chunk_chars = chunk_chars

    def write(self, articles: list[tuple[Article, str, str]], report: IngestReport) -> None:
        """articles: (article, origin path, content hash). Embed, upsert, then record."""
        batch = Batch(
            [prepare(a, origin, digest, self.chunk_chars) for a, origin, digest in articles]
        )
        vectors = embed_by_length(self.embeddings, batch.to_embed())
        store_batch(self.store, batch, vectors, report)


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(LOADER_VERSION.encode() + b"\0" + raw).hexdigest()


def ingest(
    paths: list[Path],
    store: NewsStore,
    embeddings: Embeddings,
    *,
    chunk_chars: int = 900,
    max_file_bytes: int = 20_000_000,
    prune: bool = False,
    source: str | None = None,
    batch_chunks: int = 256,
    progress: bool = False,
) -> IngestReport:
    """Ingest files and folders. One bad file is reported in `skipped` and never stops the run.
    Holds the store's writer lock: a second writing process gets StoreBusy. Chunks are stored
    in batches of about `batch_chunks` (Chroma's upsert costs a quarter less per chunk at 256
    than at 64; a killed run redoes at most one batch)."""
    with store.writing():
        return _ingest(
            paths,
            store,
            embeddings,
            chunk_chars,
            max_file_bytes,
            prune,
            source,
            batch_chunks,
            progress,
        )


def _ingest(
    paths: list[Path],
    store: NewsStore,
    embeddings: Embeddings,
    chunk_chars: int,
    max_file_bytes: int,
    prune: bool,
    source: str | None,
    batch_chunks: int,
    progress: bool,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    files = list(discover(paths, report))
    records = store.records.reader()

    def read(item: SourceFile) -> FileOutcome:
        return read_changed(item, records, max_file_bytes, source, chunk_chars)

    try:
        with _progress(len(files), progress) as bar:
            overlap.run(files, read, embeddings, store, report, batch_chunks, bar)
    finally:
        records.close()
    if prune:
        prune_missing(paths, {str(item.path) for item in files}, store, report)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def read_changed(
    item: SourceFile,
    records: RecordLookup,
    max_file_bytes: int,
    source: str | None,
    chunk_chars: int,
) -> FileOutcome:
    """Parse and chunk a file only when its bytes changed (in the reader thread: nothing here
    writes to the store). A file that cannot be read or parsed is `skipped`, with a reason."""
    origin = str(item.path)
    try:
        mode = item.path.stat().st_mode
        if not stat.S_ISREG(mode):  # a pipe would block the run forever once opened
            raise UnreadableFile(not_regular(item.path, mode))
        size = item.path.stat().st_size
        if size > max_file_bytes:
            raise UnreadableFile(f"file too large ({size:,} bytes > {max_file_bytes:,})")
        raw = read_file(item.path)
        digest = content_hash(raw)
        previous = records.by_origin(origin)
        if previous and all(r.content_hash == digest for r in previous):
            return FileOutcome(unchanged=len(previous))
        articles = parse_file(raw, item, source)
    except (UnreadableFile, OSError) as error:
        return FileOutcome(skipped={"path": origin, "reason": str(error)})
    new_ids = {a.doc_id for a in articles}
    updated = sum(records.get(a.doc_id) is not None for a in articles)
    return FileOutcome(
        articles=[prepare(a, origin, digest, chunk_chars) for a in articles],
        gone=[r.doc_id for r in previous if r.doc_id not in new_ids],
        added=len(articles) - updated,
        updated=updated,
    )


def parse_file(raw: bytes, item: SourceFile, source: str | None) -> list[Article]:
    """One file's articles. Whatever goes wrong inside a parser skips this file alone, with a
    reason and the trace in the log; the run goes on with the next file."""
    try:
        return load_article_bytes(raw, item.path.suffix, item.doc_id, source or item.default_source)
    except UnreadableFile:
        raise
    except Exception as error:
        logger.warning("could not parse %s", item.path, exc_info=True)
        raise UnreadableFile(f"could not be parsed ({type(error).__name__}: {error})") from error


def not_regular(path: Path, mode: int | None = None) -> str:
    """Why a path that is no regular file is skipped (it is never opened)."""
    mode = path.stat().st_mode if mode is None else mode
    kinds = [
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    return f"not a regular file ({kind}); never opened"


def prune_missing(
    paths: list[Path], seen: set[str], store: NewsStore, report: IngestReport
) -> None:
    """Drop the articles of files that were under the given folders and are gone now."""
    for given in paths:
        folder = given.resolve()
        if not folder.is_dir():
            continue
        for origin, doc_ids in store.records.origins_under(str(folder)).items():
            if origin not in seen:
                remove_articles(store, doc_ids, report)
                report.removed += len(doc_ids)


def _progress(total: int, enabled: bool) -> Any:
    """A tqdm bar over files (off when not asked for, or not on a terminal)."""
    from contextlib import nullcontext

    if not enabled:
        return nullcontext(None)
    from tqdm import tqdm

    return tqdm(total=total, desc="ingest", unit="file", disable=None)
