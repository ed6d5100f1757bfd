from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.clean import UnreadableFile, decode_bytes, is_debris, unglue_sentences
from ingest.loaders import load_article_bytes, normalise_date

SCRAPED = (
    " date 2024-12-28 + ↺ − 16 px\n\n"
    "In 2024, the ministry said Azerbaijan chaired the movement, News.Az reports.According to "
    'the document, the chair passed to Uganda."As a result, South Sudan joined.\n\nNews.Az\n'
)


def load_one(raw: bytes | str, suffix: str, doc_id: str = "doc", source: str = "folder"):
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    (article,) = load_article_bytes(data, suffix, doc_id, source)
    return article


def test_scraped_date_header_becomes_published_and_vanishes() -> None:
    article = load_one(SCRAPED, ".txt")
    assert article.published == "2024-12-28"
    assert "px" not in article.text and "↺" not in article.text and "date" not in article.text
    assert article.source == "News.Az"  # the publisher line glued to the end
    assert not article.text.endswith("News.Az")


def test_glued_sentences_are_separated_but_names_with_dots_are_not() -> None:
    article = load_one(SCRAPED, ".txt")
    assert "reports. According" in article.text
    assert 'Uganda. "As a result' in article.text
    assert "News.Az reports" in article.text
    assert unglue_sentences("COP29.The ministry") == "COP29. The ministry"


def test_headline_on_first_line_is_the_title() -> None:
    article = load_one(
        "Ad sales boost Time Warner profit\n\n Quarterly profits jumped 76%.\n", ".txt"
    )
    assert article.title == "Ad sales boost Time Warner profit"
    assert article.text == "Quarterly profits jumped 76%."
    assert article.published is None
    assert article.source == "folder"


def test_long_first_paragraph_is_not_a_headline() -> None:
    body = "This is a long opening sentence that is plainly body text. " * 4
    article = load_one(body + "\n\nSecond paragraph here.", ".txt")
    assert article.text.startswith("This is a long opening sentence")
    assert article.title.startswith("This is a long opening sentence")


def test_latin1_file_reads_as_latin1() -> None:
    raw = "Café owners in Zürich paid £5 for coffee.\n".encode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert decode_bytes(raw) == "Café owners in Zürich paid £5 for coffee.\n"


def test_utf16_with_bom_is_decoded() -> None:
    raw = "Headline\n\nBody text here.".encode("utf-16")
    assert load_one(raw, ".txt").text == "Body text here."


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"", "empty"), (b"  \n ", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "binary")],
)
def test_empty_and_binary_files_are_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(UnreadableFile, match=reason):
        load_article_bytes(raw, ".txt", "doc", "src")


def test_unsupported_suffix_is_refused() -> None:
    with pytest.raises(UnreadableFile, match=r"unsupported file type '\.pdf'"):
        load_article_bytes(b"%PDF-1.4", ".pdf", "doc", "src")


def test_markdown_front_matter_and_markup() -> None:
    md = (
        "---\ntitle: Sweden joins NATO\ndate: 2024-03-07\nsource: Sample Desk\n---\n\n"
        "# Sweden joins NATO\n\nSweden [joined](http://x.example) NATO. ![tracker](http://e.vil/p.png)\n"
    )
    article = load_one(md, ".md")
    assert (article.title, article.published, article.source) == (
        "Sweden joins NATO",
        "2024-03-07",
        "Sample Desk",
    )
    assert "http" not in article.text and "joined NATO" in article.text


def test_html_main_text_title_date_and_site(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Moon landing</title>"
        '<meta property="og:site_name" content="Space Wire">'
        '<meta property="article:published_time" content="2024-01-20T09:00:00+00:00"></head>'
        "<body><nav>Home · Science</nav><article><h1>Moon landing</h1>"
        "<p>Japan became the fifth country to land on the Moon on 20 January 2024.</p>"
        "<p>The lander came down within 55 metres of its target near the Shioli crater.</p>"
        "</article><footer>Subscribe to our newsletter</footer></body></html>"
    )
    article = load_one(page, ".html")
    assert article.title == "Moon landing"
    assert article.published == "2024-01-20"
    assert article.source == "Space Wire"
    assert article.text.startswith("Japan became the fifth country")
    assert "Subscribe" not in article.text and "Home" not in article.text


def test_json_object_and_jsonl_records() -> None:
    one = {"title": "T20 final", "body": "India won.", "date": "2024-06-29", "source": "Desk"}
    article = load_one(json.dumps(one), ".json", doc_id="sport/t20")
    assert (article.doc_id, article.title, article.published, article.text) == (
        "sport/t20",
        "T20 final",
        "2024-06-29",
        "India won.",
    )
    lines = "\n".join(
        json.dumps({"id": f"r{i}", "title": f"T{i}", "content": f"Text {i}.", "published": p})
        for i, p in enumerate(["2024-06-02T10:00:00Z", "June 3, 2024"])
    )
    records = load_article_bytes(lines.encode(), ".jsonl", "world/mx", "world")
    assert [r.doc_id for r in records] == ["world/mx/r0", "world/mx/r1"]
    assert [r.published for r in records] == ["2024-06-02", "2024-06-03"]
    assert all(r.source == "world" for r in records)


def test_json_lines_saved_as_json_are_read() -> None:
    lines = b'{"title": "A", "text": "First."}\n{"title": "B", "text": "Second."}\n'
    assert [a.title for a in load_article_bytes(lines, ".json", "x", "s")] == ["A", "B"]


def test_invalid_json_is_refused_with_its_position() -> None:
    with pytest.raises(UnreadableFile, match="invalid JSON"):
        load_article_bytes(b'{"title": "x", ', ".json", "d", "s")


def test_debris_and_dates() -> None:
    assert is_debris("+ ↺ − 16 px")
    assert not is_debris("Uganda took over the chair")
    assert normalise_date("2024-1-5") == "2024-01-05"
    assert normalise_date("not a date") is None
    assert normalise_date("2024-02-30") is None


def test_lone_surrogates_and_control_characters_are_removed() -> None:
    article = load_one(
        "Title\n\nBad \ud800 text\x07 here.".encode("utf-8", "surrogatepass"), ".txt"
    )
    assert article.text == "Bad text here."
