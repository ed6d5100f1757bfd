"""The one interface to where article records live: SQLite beside the data (rag/records.py, the
embedded default) or PostgreSQL (rag/postgres.py, NEWSRAG_DATABASE_URL). Either holds the
article records, the lexical index, the side tables and the writer lock; rag/store.py's
open_store picks one, and nothing outside rag/ sees past this protocol."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

LexicalRow = tuple[str, str, int, str, int]  # text, doc_id, chunk, source, published_day


class StoreError(RuntimeError):
    """The store cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ArticleRecord:
    doc_id: str
    origin: str  # absolute path (or URL) the article came from
    content_hash: str
    title: str
    published: str | None
    source: str
    url: str
    chunks: int


@dataclass(frozen=True)
class LexicalHit:
    doc_id: str
    chunk: int
    bm25: float  # higher is better


class KeyValueTable(Protocol):
    """A named key -> JSON value table beside the records (ingestion's own bookkeeping)."""

    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...

    def items(self) -> Iterator[tuple[str, Any]]: ...


class RecordLookup(Protocol):
    """What ingestion's reading thread asks of the records while the writer thread saves."""

    def by_origin(self, origin: str) -> list[ArticleRecord]: ...

    def get(self, doc_id: str) -> ArticleRecord | None: ...

    def close(self) -> None: ...


class Records(Protocol):
    """Article records, lexical index, side tables and writer lock: one backend."""

    written_generation: int  # the last generation this process committed

    def describe(self) -> str: ...  # where the records live, with no password in it

    def writer_lock(self) -> AbstractContextManager[None]: ...

    def reader(self) -> RecordLookup: ...  # for a thread that looks up while another writes

    def by_origin(self, origin: str) -> list[ArticleRecord]: ...

    def origins_under(self, folder: str) -> dict[str, list[str]]: ...

    def get(self, doc_id: str) -> ArticleRecord | None: ...

    def save(
        self, records: Sequence[ArticleRecord], lexical_rows: Iterable[LexicalRow] = ()
    ) -> None: ...

    def delete(self, doc_ids: Sequence[str]) -> None: ...

    def generation(self) -> int: ...

    def published_dates(self, doc_ids: list[str]) -> dict[str, str]: ...

    def minor_sources(self) -> list[str]: ...

    def newest_published(self) -> str | None: ...

    def count(self) -> int: ...

    def listing(self, title_contains: str = "", limit: int = 500) -> list[ArticleRecord]: ...

    def sources(self) -> list[str]: ...

    def lexical_count(self) -> int: ...

    def lexical_keys(self) -> list[tuple[str, int]]: ...

    def lexical_rows(self, doc_ids: Sequence[str]) -> list[LexicalRow]: ...

    def add_lexical_rows(self, rows: list[LexicalRow]) -> None: ...

    def lexical_search(self, query: str, n: int, filters: Any) -> list[LexicalHit]: ...

    def side_table(self, name: str) -> KeyValueTable: ...

    def side_table_names(self) -> list[str]: ...


def mask_url(url: str) -> str:
    """The URL as it may be shown: any password replaced by ***."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.split(':', 1)[0]}:***@{host}"
        query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
        return urlunsplit(parts._replace(netloc=netloc, query=query))
    except ValueError:  # not even a URL: show its scheme at most
        return url.split(":", 1)[0] + ":***"


def redact(message: BaseException | str, url: str) -> str:
    """The first line of a (driver's) error message, never with the URL's password in it."""
    text = (str(message).strip().splitlines() or [type(message).__name__])[0]
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return text.replace(password, "***") if password else text
