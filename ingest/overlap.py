"""Three stages at once, so the encoder never waits for the disk or the database: a reader
thread reads, hashes, parses and chunks files; the calling thread embeds batches; a writer
thread stores them, in order, chunks before records (ingest/batch.py). Queues between them are
short, so memory stays bounded and a slow stage holds the others back instead of piling up.

An error in any stage stops the other two and is raised in the caller; every thread has ended
before `run` returns or raises, so the store's writer lock is never released under a writer.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings

from ingest.batch import Batch, Prepared, embed_by_length, store_batch
from ingest.report import IngestReport
from rag.store import NewsStore

READ_AHEAD = 2  # batches' worth of chunks read ahead of the encoder
WRITE_BEHIND = 2  # embedded batches waiting for the writer
_END = object()


@dataclass
class FileOutcome:
    """What reading one file found; the calling thread counts it into the report."""

    articles: list[Prepared] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # its records that the file no longer holds
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: dict[str, str] | None = None
    seconds: float = 0.0


def run(
    items: Iterable[Any],
    read: Callable[[Any], FileOutcome],
    embeddings: Embeddings,
    store: NewsStore,
    report: IngestReport,
    batch_chunks: int,
    progress: Any = None,
) -> None:
    """Read every item, embed and store what changed. `progress`: a tqdm bar or None."""
    outcomes = Backlog(READ_AHEAD * batch_chunks)
    stop = threading.Event()
    reader = threading.Thread(
        target=produce, args=(items, read, outcomes, stop), name="ingest-read", daemon=True
    )
    writer = Writer(store, report)
    reader.start()
    try:
        for batch in gather(outcomes, report, batch_chunks, progress):
            started = time.perf_counter()
            vectors = embed_by_length(embeddings, batch.to_embed())
            report.encode_seconds += time.perf_counter() - started
            writer.submit(batch, vectors)
        writer.finish()
    finally:
        stop.set()
        writer.close()
        reader.join()


def produce(
    items: Iterable[Any],
    read: Callable[[Any], FileOutcome],
    outcomes: Backlog,
    stop: threading.Event,
) -> None:
    """The reader thread: one outcome per item, then _END; an unexpected error is handed on
    (a broken file is an outcome with `skipped`, never an error)."""
    try:
        for item in items:
            if stop.is_set():
                return
            started = time.perf_counter()
            outcome = read(item)
            outcome.seconds = time.perf_counter() - started
            outcomes.put(outcome, sum(len(a.ids) for a in outcome.articles), stop)
        outcomes.put(_END, 0, stop)
    except BaseException as error:
        outcomes.put(error, 0, stop)


class Backlog:
    """Outcomes waiting for the encoder, bounded by the chunks they hold (not by files: one
    file may hold thousands of articles); one outcome always fits, whatever its size."""

    def __init__(self, max_chunks: int) -> None:
        self.max_chunks = max_chunks
        self.items: deque[tuple[Any, int]] = deque()
        self.chunks = 0
        self.changed = threading.Condition()

    def put(self, item: Any, chunks: int, stop: threading.Event) -> None:
        with self.changed:
            while self.items and self.chunks + chunks > self.max_chunks and not stop.is_set():
                self.changed.wait(timeout=0.1)
            if not stop.is_set():
                self.items.append((item, chunks))
                self.chunks += chunks
                self.changed.notify_all()

    def get(self) -> Any:
        with self.changed:
            while not self.items:
                self.changed.wait()
            item, chunks = self.items.popleft()
            self.chunks -= chunks
            self.changed.notify_all()
            return item


def gather(
    outcomes: Backlog, report: IngestReport, batch_chunks: int, progress: Any
) -> Iterator[Batch]:
    """Count each file's outcome; yield batches of at least `batch_chunks` chunks (whole
    articles), and the rest at the end."""
    batch = Batch()
    while True:
        started = time.perf_counter()
        outcome = outcomes.get()
        report.encoder_idle_seconds += time.perf_counter() - started
        if outcome is _END:
            break
        if isinstance(outcome, BaseException):
            raise outcome
        count(outcome, report)
        if progress is not None:
            progress.update(1)
        batch.articles.extend(outcome.articles)
        batch.gone.extend(outcome.gone)
        if batch.chunks >= batch_chunks:
            yield batch
            batch = Batch()
    if batch.articles or batch.gone:
        yield batch


def count(outcome: FileOutcome, report: IngestReport) -> None:
    report.files_seen += 1
    report.added += outcome.added
    report.updated += outcome.updated
    report.unchanged += outcome.unchanged
    report.parse_seconds += outcome.seconds
    if outcome.skipped is not None:
        report.skipped.append(outcome.skipped)


class Writer:
    """Stores batches in a thread of its own, in the order submitted. It owns the report's
    chunks_written, chunks_deleted and write_seconds while it runs."""

    def __init__(self, store: NewsStore, report: IngestReport) -> None:
        self.store = store
        self.report = report
        self.pending: queue.Queue[Any] = queue.Queue(maxsize=WRITE_BEHIND)
        self.error: BaseException | None = None
        self.abandoned = False
        self.thread = threading.Thread(target=self._work, name="ingest-write", daemon=True)
        self.thread.start()

    def submit(self, batch: Batch, vectors: list[list[float]]) -> None:
        self._raise_error()
        started = time.perf_counter()
        self.pending.put((batch, vectors))  # waits while WRITE_BEHIND batches are queued
        self.report.encoder_idle_seconds += time.perf_counter() - started

    def finish(self) -> None:
        """Wait for every submitted batch to be stored; raise the writer's error, if any."""
        self.pending.put(_END)
        self.thread.join()
        self._raise_error()

    def close(self) -> None:
        """After an error elsewhere: drop what is queued, let the batch in hand finish."""
        if self.thread.is_alive():
            self.abandoned = True
            self.pending.put(_END)
            self.thread.join()

    def _raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def _work(self) -> None:
        while (item := self.pending.get()) is not _END:
            if self.error is not None or self.abandoned:
                continue  # keep taking batches, so a submitting thread never waits forever
            started = time.perf_counter()
            batch, vectors = item
            try:
                store_batch(self.store, batch, vectors, self.report)
            except BaseException as error:
                self.error = error
            self.report.write_seconds += time.perf_counter() - started
