"""Loaders: one article file (txt, md, html, json, jsonl) -> Article records."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ingest.clean import (
    UnreadableFile,
    decode_bytes,
    normalise_text,
    parse_iso_date,
    strip_date_header,
    tidy_whitespace,
    unglue_sentences,
)

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES


@dataclass(frozen=True)
class Article:
    doc_id: str
    title: str
    published: str | None  # ISO date, YYYY-MM-DD
    source: str
    url: str
    text: str


def load_article_bytes(raw: bytes, suffix: str, doc_id: str, source: str) -> list[Article]:
    """Parse one file's bytes. `source` is the fallback publisher name when the file names none."""
    suffix = suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(f"unsupported file type '{suffix or '(none)'}'")
    if not raw.strip():
        raise UnreadableFile("empty file")
    text = normalise_text(decode_bytes(raw))
    if suffix in HTML_SUFFIXES:
        articles = [parse_html(text, doc_id, source)]
    elif suffix in JSON_SUFFIXES:
        articles = list(parse_json_records(text, suffix, doc_id, source))
    else:
        articles = [parse_text(text, doc_id, source, markdown=suffix != ".txt")]
    articles = [a for a in articles if a.text.strip()]
    if not articles:
        raise UnreadableFile("no article text found")
    return articles


# --- plain text and markdown ------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---\n(?P<body>.*?)\n---\n", re.DOTALL)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple `key: value` front matter between '---' lines (no YAML dependency needed)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group("body").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, text[match.end() :]


def looks_like_headline(line: str, next_line: str | None) -> bool:
    """Line 1 is a headline when it is short, unpunctuated and set apart (the BBC layout)."""
    line = line.strip()
    if line.startswith("#"):
        return True
    if not line or len(line) > 150 or line[-1] in '.,;:!?"”':
        return False
    return next_line is None or not next_line.strip()


def looks_like_publisher(line: str) -> bool:
    """A short last line such as 'News.Az' that names the outlet, not a sentence."""
    line = line.strip()
    return 0 < len(line) <= 40 and len(line.split()) <= 4 and line[-1] not in '.,;:!?"”)'


def parse_text(text: str, doc_id: str, source: str, markdown: bool = False) -> Article:
    fields, text = parse_front_matter(text)
    if markdown:
        text = _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", text))
    lines, published = strip_date_header(text.split("\n"))
    while lines and not lines[0].strip():
        lines.pop(0)
    title = fields.get("title", "")
    if not title and len(lines) > 1 and looks_like_headline(lines[0], lines[1]):
        title = lines.pop(0).strip().lstrip("#").strip()
    content_lines = [line for line in lines if line.strip()]
    if not fields.get("source") and len(content_lines) > 1 and looks_like_publisher(lines[-1]):
        fields["source"] = lines.pop().strip()
    while lines and not lines[-1].strip():
        lines.pop()
        if lines and not fields.get("source") and looks_like_publisher(lines[-1]):
            fields["source"] = lines.pop().strip()
    body = tidy_whitespace(unglue_sentences("\n".join(lines)))
    return Article(
        doc_id=doc_id,
        title=title or fallback_title(body, doc_id),
        published=normalise_date(fields.get("date") or fields.get("published")) or published,
        source=fields.get("source") or source,
        url=fields.get("url", ""),
        text=body,
    )


def fallback_title(body: str, doc_id: str) -> str:
    first = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0] if body.strip() else doc_id
    return first if len(first) <= 90 else first[:87].rsplit(" ", 1)[0] + "…"


# --- dates ------------------------------------------------------------------------------


def normalise_date(value: Any) -> str | None:
    """Any common date spelling -> 'YYYY-MM-DD', or None when it is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    match = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        return parse_iso_date(match.group(1), match.group(2).zfill(2), match.group(3).zfill(2))
    try:
        from dateutil import parser as date_parser

        return date_parser.parse(text, fuzzy=False).date().isoformat()
    except (ValueError, OverflowError, ImportError):
        return None


# --- HTML -------------------------------------------------------------------------------


def parse_html(html: str, doc_id: str, source: str) -> Article:
    import trafilatura  # heavy (lxml, justext): imported only when a page is parsed

    extracted = trafilatura.extract(
        html, output_format="json", with_metadata=True, include_comments=False, favor_precision=True
    )
    if not extracted:
        raise UnreadableFile("no main text found in HTML page")
    meta = json.loads(extracted)
    title = normalise_text(meta.get("title") or "").strip()
    lines = normalise_text(meta.get("text") or "").split("\n")
    if lines and title and lines[0].strip() == title:
        lines.pop(0)  # the page's own <h1>, already kept as the title
    body = tidy_whitespace(unglue_sentences("\n".join(lines)))
    site = meta.get("sitename") or meta.get("source-hostname") or meta.get("hostname")
    return Article(
        doc_id=doc_id,
        title=title or fallback_title(body, doc_id),
        published=normalise_date(meta.get("date")),
        source=(site or source).strip(),
        url=(meta.get("url") or "").strip(),
        text=body,
    )


# --- JSON / JSON Lines ------------------------------------------------------------------

_TEXT_KEYS = ("text", "content", "body", "article")
_DATE_KEYS = ("published", "date", "published_at", "publishedAt", "pubDate")


def parse_json_records(text: str, suffix: str, doc_id: str, source: str) -> Iterator[Article]:
    """A JSON object, a JSON list of objects, or JSON Lines; one Article per record.

    A file with one record keeps the file's doc_id; with several, each gets `doc_id/<id or n>`.
    """
    records = read_json_records(text, suffix)
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise UnreadableFile(f"record {number} is not a JSON object")
        body = next((record[k] for k in _TEXT_KEYS if isinstance(record.get(k), str)), "")
        body = tidy_whitespace(unglue_sentences(normalise_text(body)))
        record_id = str(record.get("id") or number).strip().replace("/", "_")
        yield Article(
            doc_id=doc_id if len(records) == 1 else f"{doc_id}/{record_id}",
            title=normalise_text(str(record.get("title") or "")).strip()
            or fallback_title(body, doc_id),
            published=normalise_date(next((record[k] for k in _DATE_KEYS if record.get(k)), None)),
            source=str(record.get("source") or record.get("publisher") or source).strip(),
            url=str(record.get("url") or record.get("link") or "").strip(),
            text=body,
        )


# Python's JSON parser recurses once per level: a file nested 100,000 deep would raise
# RecursionError. No article record needs more than a few levels.
MAX_JSON_DEPTH = 100
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON nested deeper than `limit` before parsing it (strings are skipped whole)."""
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > limit:
                raise UnreadableFile(f"JSON nested deeper than {limit} levels")
        elif mark in "]}":
            depth -= 1


def read_json_records(text: str, suffix: str) -> list[Any]:
    """The records of a JSON or JSON Lines file; its size is bounded by the ingest's
    max_file_bytes before it is read, its depth here."""
    check_json_depth(text)
    try:
        if suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            if not error.msg.startswith("Extra data"):
                raise
            # JSON Lines saved with a .json suffix, as many exports are
            return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as error:
        raise UnreadableFile(f"invalid JSON: {error.msg} at line {error.lineno}") from error
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        return list(data["articles"])
    return data if isinstance(data, list) else [data]


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"cannot read file: {error.strerror or error}") from error
