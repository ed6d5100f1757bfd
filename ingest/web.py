"""Articles from the web: article URLs, RSS/Atom feeds and sitemaps, told apart by content
type and content. Pages are reduced to main text, title, author, site name and publication
date (trafilatura + htmldate); `doc_id` is the canonical URL. Near-duplicates are kept once,
with every URL they were found at."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ingest.fetch import FetchResult
from ingest.loaders import Article, normalise_date

MAX_SITEMAP_URLS = 5000


@dataclass
class WebItem:
    url: str
    feed_entry: dict[str, Any] | None = None  # the entry to fall back on when the page fails


def canonical(url: str) -> str:
    """No fragment, no tracking parameters: one story, one doc id."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith("utm_")]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )


def kind_of(result: FetchResult) -> str:
    """'feed', 'sitemap', 'html' or 'other', from the content type and the first bytes."""
    head = result.body[:2000].lstrip().lower()
    content_type = result.content_type
    if b"<urlset" in head or b"<sitemapindex" in head:
        return "sitemap"
    if any(t in content_type for t in ("rss", "atom")) or any(
        marker in head for marker in (b"<rss", b"<feed", b"<rdf:rdf")
    ):
        return "feed"
    if "html" in content_type or head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "other"


def article_from_page(result: FetchResult) -> Article | None:
    import htmldate
    import trafilatura

    html = result.body.decode("utf-8", errors="replace")
    extracted = trafilatura.bare_extraction(html, url=result.final_url, with_metadata=True)
    if extracted is None:
        return None
    meta = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
    text = (meta.get("text") or "").strip()
    if len(text) < 40:
        return None
    page_url = canonical(meta.get("url") or result.final_url)
    published = htmldate.find_date(
        html, url=result.final_url, original_date=True, extensive_search=False
    ) or meta.get("date")
    source = meta.get("sitename") or urlsplit(page_url).netloc
    author = meta.get("author")
    body = f"By {author}.\n\n{text}" if author and author not in text[:200] else text
    title = meta.get("title") or page_url
    if text.startswith(title):  # the page's own headline, repeated as the first line
        body = body.replace(title, "", 1).lstrip()
    return Article(page_url, title, normalise_date(published), source, page_url, body)


def article_from_entry(entry: dict[str, Any], feed_title: str) -> Article | None:
    """A feed entry's own summary, used only when its page cannot be fetched (and marked)."""
    import lxml.html

    summary = entry.get("summary") or entry.get("description") or ""
    text = lxml.html.fromstring(summary).text_content().strip() if summary.strip() else ""
    link = entry.get("link")
    if not link or len(text) < 20:
        return None
    published = entry_date(entry)
    url = canonical(link)
    title = entry.get("title") or url
    return Article(
        url,
        title,
        published,
        feed_title or urlsplit(url).netloc,
        url,
        f"(Feed summary only: the page could not be fetched.) {text}",
    )


def entry_date(entry: dict[str, Any]) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return time.strftime("%Y-%m-%d", parsed) if parsed else None


def with_feed_details(article: Article, entry: dict[str, Any] | None) -> Article:
    """A page without a date or site name borrows them from the feed entry that listed it."""
    if not entry:
        return article
    published = article.published or entry_date(entry)
    host = urlsplit(article.url).netloc
    source = entry.get("feed_title") or article.source if article.source == host else article.source
    return dataclasses.replace(article, published=published, source=source)


def feed_items(result: FetchResult) -> tuple[list[WebItem], str]:
    import feedparser

    parsed = feedparser.parse(result.body)
    title = parsed.feed.get("title", "")
    items = [
        WebItem(urljoin(result.final_url, entry["link"]), dict(entry))
        for entry in parsed.entries
        if entry.get("link")
    ]
    return items, title


def sitemap_urls(result: FetchResult) -> list[str]:
    from defusedxml import ElementTree

    root = ElementTree.fromstring(result.body)
    locations = [el.text.strip() for el in root.iter() if el.tag.endswith("loc") and el.text]
    return locations[:MAX_SITEMAP_URLS]
