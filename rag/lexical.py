"""The lexical (BM25) index: SQLite FTS5 in the same database file as the article records.

Why FTS5 rather than rank_bm25 or bm25s: it is a maintained BM25 implementation that ships
with Python, updates incrementally (bm25s and rank_bm25 rebuild the whole index to add one
document), persists on disk, and commits in the same transaction as the article records, so
the index cannot drift from the records through add, replace, prune or a crash.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence

from rag.database import LexicalHit, LexicalRow
from rag.text import STOPWORDS

__all__ = ["LexicalHit", "add_chunks", "count", "delete_articles", "fts_query", "search"]

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, doc_id UNINDEXED, chunk UNINDEXED, source UNINDEXED, published_day UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2');
"""


def query_words(text: str) -> list[str]:
    """The content words of a query, once each, at most 64 (both backends search for these)."""
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in STOPWORDS]
    return list(dict.fromkeys(words))[:64]


def fts_query(text: str) -> str | None:
    """Turn free text into an FTS5 query: each content word quoted, OR-ed (BM25 ranks them)."""
    unique = query_words(text)
    return " OR ".join(f'"{w}"' for w in unique) if unique else None


def add_chunks(db: sqlite3.Connection, rows: list[LexicalRow]) -> None:
    """rows: (text, doc_id, chunk, source, published_day); call inside the records' transaction."""
    db.executemany(
        "INSERT INTO chunks_fts (text, doc_id, chunk, source, published_day) "
        "VALUES (?, ?, ?, ?, ?)",
        rows,
    )


def delete_articles(db: sqlite3.Connection, doc_ids: list[str]) -> None:
    db.executemany("DELETE FROM chunks_fts WHERE doc_id = ?", [(d,) for d in doc_ids])


def search(
    db: sqlite3.Connection,
    text: str,
    n: int,
    since_day: int | None = None,
    until_day: int | None = None,
    source: str | None = None,
) -> list[LexicalHit]:
    query = fts_query(text)
    if query is None:
        return []
    clauses = ["chunks_fts MATCH ?"]
    params: list[object] = [query]
    if since_day is not None:
        clauses.append("published_day >= ?")
        params.append(since_day)
    if until_day is not None:
        clauses.append("published_day <= ? AND published_day > 0")
        params.append(until_day)
    if source is not None:
        clauses.append("source = ?")
        params.append(source)
    sql = (
        "SELECT doc_id, chunk, bm25(chunks_fts) AS rank FROM chunks_fts "
        f"WHERE {' AND '.join(clauses)} ORDER BY rank LIMIT ?"
    )
    rows = db.execute(sql, [*params, n]).fetchall()
    return [LexicalHit(doc_id, int(chunk), -float(rank)) for doc_id, chunk, rank in rows]


def rows_of(db: sqlite3.Connection, doc_ids: Sequence[str]) -> list[LexicalRow]:
    """The index rows of some articles, as add_chunks takes them (for copying the index)."""
    marks = ",".join("?" * len(doc_ids))
    sql = (
        "SELECT text, doc_id, chunk, source, published_day FROM chunks_fts "
        f"WHERE doc_id IN ({marks}) ORDER BY doc_id, chunk"
    )
    return [(t, d, int(c), s, int(p)) for t, d, c, s, p in db.execute(sql, list(doc_ids))]


def keys(db: sqlite3.Connection) -> list[tuple[str, int]]:
    rows = db.execute("SELECT doc_id, chunk FROM chunks_fts ORDER BY doc_id, chunk")
    return [(doc_id, int(chunk)) for doc_id, chunk in rows]


def count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0])
