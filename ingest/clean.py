"""Text clean-up for saved news pages: encodings, scraped date headers, widget debris."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from charset_normalizer import from_bytes


class UnreadableFile(ValueError):
    """Raised with a human-readable reason when a file cannot be turned into text."""


def decode_bytes(raw: bytes) -> str:
    """Decode strictly: UTF-8 (with or without BOM) first, else charset-normalizer's best guess.

    Never decodes with errors ignored: a file no encoding explains is refused, not mangled.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        # surrogatepass accepts only encoded lone surrogates; normalise_text then drops them
        return raw.decode("utf-8-sig", errors="surrogatepass")
    except UnicodeDecodeError:
        pass
    if b"\x00" in raw[:4096]:
        raise UnreadableFile("binary file (NUL bytes)")
    western = decode_mostly_ascii_western(raw)
    if western is not None:
        return western
    best = from_bytes(raw).best()
    if best is None:
        raise UnreadableFile("unknown text encoding")
    return str(best)


def decode_mostly_ascii_western(raw: bytes) -> str | None:
    """Windows-1252 for English-language text with a few non-ASCII bytes ('£', 'é').

    charset-normalizer guesses from too little evidence there: it reads a BBC file whose only
    non-ASCII byte is 0xA3 ('£') as Japanese cp932. Text where over 20% of bytes are non-ASCII
    (Cyrillic, Greek, CJK) is left to charset-normalizer.
    """
    high = sum(1 for byte in raw if byte > 0x7F)
    if high == 0 or high > 0.2 * len(raw):
        return None
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")


def normalise_text(text: str) -> str:
    """NFC, unix newlines, no control characters or lone surrogates (they abort Chroma batches)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SURROGATE.sub("", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROL.sub(" ", text)
    return unicodedata.normalize("NFC", text)


_ISO_DATE = r"(\d{4})-(\d{2})-(\d{2})"
# A scraped date header: "date 2024-12-28 + ↺ − 16 px", "Published: 2024-12-28", "Date: 2024-12-28".
_DATE_LINE = re.compile(
    rf"^\s*(?:date|published|posted|updated)\s*:?\s*{_ISO_DATE}\b(?P<rest>.*)$", re.IGNORECASE
)
# What reading widgets leave behind: font-size buttons ("+ ↺ − 16 px"), share counters.
_DEBRIS_TOKEN = re.compile(r"^(?:[+\-−↺↻⟳×·|•]|\d{1,3}\s*px|a\+|a-|px)$", re.IGNORECASE)


def parse_iso_date(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def is_debris(line: str) -> bool:
    """True for a line made only of widget leftovers, e.g. '+ ↺ − 16 px'."""
    tokens = re.findall(r"\d{1,3}\s*px|\S+", line.strip())
    return bool(tokens) and all(_DEBRIS_TOKEN.match(tok) for tok in tokens)


def strip_date_header(lines: list[str]) -> tuple[list[str], str | None]:
    """Remove a scraped date line (and debris) from the first lines; return its ISO date."""
    published: str | None = None
    kept: list[str] = []
    for index, line in enumerate(lines):
        header_zone = index < 5
        match = _DATE_LINE.match(line) if header_zone and published is None else None
        if match:
            published = parse_iso_date(*match.groups()[:3])
            rest = match.group("rest")
            if rest.strip() and not is_debris(rest):
                kept.append(rest)
            continue
        if header_zone and is_debris(line):
            continue
        kept.append(line)
    return kept, published


# Sentences glued by scraping: "News.Az reports.According to" -> "reports. According to".
_GLUED_SENTENCE = re.compile(r"(?<=[a-z0-9%)][.!?])(?=[A-Z][a-z]{2,}|[\"“][A-Z])")
_GLUED_QUOTE = re.compile(r"(?<=[.!?][\"”])(?=[A-Z][a-z]{2,}|[\"“][A-Z])")


def unglue_sentences(text: str) -> str:
    return _GLUED_QUOTE.sub(" ", _GLUED_SENTENCE.sub(" ", text))


def tidy_whitespace(text: str) -> str:
    """Collapse runs of spaces inside lines and of blank lines between paragraphs."""
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
