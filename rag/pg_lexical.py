"""The lexical index in PostgreSQL: the text of each chunk as a `tsvector` (English stemming)
plus a postings table, ranked with the same BM25 as SQLite FTS5 computes, in SQL.

Why BM25 and not ts_rank_cd: ts_rank_cd has no inverse document frequency, so in an OR of a
question's words a common word counts as much as a rare name. Measured with
scripts/bench_retrieval.py (README, "Lexical ranking in PostgreSQL"): on BBC headline ->
article, lexical hit@5 / mrr@10 were FTS5 0.910 / 0.798, BM25 here 0.910 / 0.800, ts_rank_cd
0.813 / 0.659, and ts_rank_cd's hybrid scores fell outside FTS5's bootstrap interval while
BM25's stayed inside on every set. `RANKINGS` keeps both, for that comparison.

Text is folded the way FTS5's `unicode61 remove_diacritics 2` tokenizer reads it (letters and
digits, accents dropped) before PostgreSQL sees it, and the document length BM25 divides by is
that token count, so both backends weigh the same words alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from rag.database import LexicalHit, LexicalRow
from rag.lexical import query_words

# Postings carry what ranking and filtering need (no join at query time); the chunk and token
# totals BM25 divides by are kept as counters in store_state, like FTS5's own.
SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks_lex (
    doc_id TEXT NOT NULL, chunk INTEGER NOT NULL, source TEXT NOT NULL,
    published_day INTEGER NOT NULL, text TEXT NOT NULL, length INTEGER NOT NULL,
    tsv TSVECTOR NOT NULL, PRIMARY KEY (doc_id, chunk));
CREATE INDEX IF NOT EXISTS chunks_lex_tsv ON chunks_lex USING GIN (tsv);
CREATE TABLE IF NOT EXISTS lex_postings (
    term TEXT NOT NULL, doc_id TEXT NOT NULL, chunk INTEGER NOT NULL, tf INTEGER NOT NULL,
    length INTEGER NOT NULL, source TEXT NOT NULL, published_day INTEGER NOT NULL,
    PRIMARY KEY (term, doc_id, chunk),
    FOREIGN KEY (doc_id, chunk) REFERENCES chunks_lex ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS lex_postings_chunk ON lex_postings (doc_id, chunk);
INSERT INTO store_state VALUES ('lex_chunks', 0), ('lex_tokens', 0) ON CONFLICT DO NOTHING;
"""

_INSERT = """
WITH c AS (
    INSERT INTO chunks_lex VALUES (%s, %s, %s, %s, %s, %s, to_tsvector('english', %s))
    RETURNING doc_id, chunk, tsv, length, source, published_day)
INSERT INTO lex_postings
SELECT u.lexeme, c.doc_id, c.chunk, coalesce(array_length(u.positions, 1), 1), c.length,
       c.source, c.published_day
FROM c, unnest(c.tsv) AS u
"""

_COUNT = "UPDATE store_state SET value = value + %s WHERE key = %s"

_DELETE = """
WITH gone AS (DELETE FROM chunks_lex WHERE {where} RETURNING length),
total AS (SELECT count(*) AS chunks, coalesce(sum(length), 0) AS tokens FROM gone)
UPDATE store_state SET value = value - CASE key WHEN 'lex_chunks' THEN chunks ELSE tokens END
FROM total WHERE key IN ('lex_chunks', 'lex_tokens')
"""

# BM25 as FTS5 computes it (k1 = 1.2, b = 0.75, idf floored at 1e-6, document frequencies
# over the whole index, filters applied after), from the postings of the query's terms alone.
_BM25 = """
WITH terms AS (SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector('english', %(q)s))),
stats AS (
    SELECT greatest(max(value) FILTER (WHERE key = 'lex_chunks'), 1)::float8 AS n,
           greatest(max(value) FILTER (WHERE key = 'lex_tokens'), 1)::float8
           / greatest(max(value) FILTER (WHERE key = 'lex_chunks'), 1) AS avgdl
    FROM store_state),
hits AS (
    SELECT p.*, count(*) OVER (PARTITION BY p.term)::float8 AS df
    FROM lex_postings p JOIN terms USING (term))
SELECT doc_id, chunk, sum(
    greatest(ln((s.n - df + 0.5) / (df + 0.5)), 1e-6)
    * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / s.avgdl))) AS score
FROM hits CROSS JOIN stats s
WHERE {where}
GROUP BY doc_id, chunk
ORDER BY score DESC, doc_id COLLATE "C", chunk LIMIT %(n)s
"""

_TS_RANK_CD = """
SELECT doc_id, chunk, ts_rank_cd(tsv, q, 1) AS score
FROM chunks_lex, to_tsquery('english', %(tsq)s) AS q
WHERE tsv @@ q AND {where}
ORDER BY score DESC, doc_id COLLATE "C", chunk LIMIT %(n)s
"""

RANKINGS = {"bm25": _BM25, "ts_rank_cd": _TS_RANK_CD}


def tokens(text: str) -> list[str]:
    """Letters-and-digits runs, lower-cased, accents dropped (FTS5's unicode61 reading)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.findall(r"[^\W_]+", plain)


def add_chunks(cur: Any, rows: Sequence[LexicalRow]) -> None:
    """rows: (text, doc_id, chunk, source, published_day); inside the records' transaction."""
    params = []
    for text, doc_id, chunk, source, day in rows:
        words = tokens(text)
        params.append((doc_id, chunk, source, day, text, len(words), " ".join(words)))
    if params:
        cur.executemany(_INSERT, params)
        cur.execute(_COUNT, (len(params), "lex_chunks"))
        cur.execute(_COUNT, (sum(p[5] for p in params), "lex_tokens"))


def replace_chunks(cur: Any, rows: Sequence[LexicalRow]) -> None:
    """Upsert rows by (doc_id, chunk)."""
    where = "(doc_id, chunk) IN (SELECT * FROM unnest(%s::text[], %s::int[]))"
    cur.execute(_DELETE.format(where=where), ([r[1] for r in rows], [r[2] for r in rows]))
    add_chunks(cur, rows)


def delete_articles(cur: Any, doc_ids: Sequence[str]) -> None:
    cur.execute(_DELETE.format(where="doc_id = ANY(%s)"), (list(doc_ids),))


def search(cur: Any, text: str, n: int, filters: Any, ranking: str = "bm25") -> list[LexicalHit]:
    words = list(dict.fromkeys(t for word in query_words(text) for t in tokens(word)))
    if not words:
        return []
    clauses = ["TRUE"]
    params: dict[str, Any] = {"q": " ".join(words), "tsq": " | ".join(words), "n": n}
    if filters.since_day is not None:
        clauses.append("published_day >= %(since)s")
        params["since"] = filters.since_day
    if filters.until_day is not None:
        clauses.append("published_day <= %(until)s AND published_day > 0")
        params["until"] = filters.until_day
    if filters.source is not None:
        clauses.append("source = %(source)s")
        params["source"] = filters.source
    sql = RANKINGS[ranking].format(where=" AND ".join(clauses))
    rows = cur.execute(sql, params).fetchall()
    return [LexicalHit(doc_id, int(chunk), float(score)) for doc_id, chunk, score in rows]


def rows_of(cur: Any, doc_ids: Sequence[str]) -> list[LexicalRow]:
    rows = cur.execute(
        "SELECT text, doc_id, chunk, source, published_day FROM chunks_lex "
        'WHERE doc_id = ANY(%s) ORDER BY doc_id COLLATE "C", chunk',
        (list(doc_ids),),
    )
    return [(t, d, int(c), s, int(p)) for t, d, c, s, p in rows]


def keys(cur: Any) -> list[tuple[str, int]]:
    rows = cur.execute('SELECT doc_id, chunk FROM chunks_lex ORDER BY doc_id COLLATE "C", chunk')
    return [(d, int(c)) for d, c in rows]


def count(cur: Any) -> int:
    return int(cur.execute("SELECT count(*) FROM chunks_lex").fetchone()[0])
