"""Web ingestion runs: fetch URLs (feeds and sitemaps expand into their articles), store new
or changed articles, keep near-duplicates once, and report every URL that was skipped."""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any

from langchain_core.embeddings import Embeddings

from ingest import dedup
from ingest.fetch import Fetcher
from ingest.loaders import Article
from ingest.pipeline import Ingestor, IngestReport, content_hash
from ingest.web import (
    WebItem,
    article_from_entry,
    article_from_page,
    feed_items,
    kind_of,
    sitemap_urls,
    with_feed_details,
)
from rag.config import Settings
from rag.store import NewsStore

logger = logging.getLogger(__name__)
SIGNATURES = "web_signatures"  # doc id -> MinHash of the article's text
OTHER_URLS = "web_other_urls"  # doc id -> the other URLs of the same story
VALIDATORS = "http_validators"  # URL -> ETag / Last-Modified of its last fetch


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def ingest_urls(
    urls: list[str], settings: Settings, store: NewsStore, embeddings: Embeddings
) -> IngestReport:
    # validators (ETag / Last-Modified) persist with the records, so a re-run asks "changed?"
    fetcher = Fetcher(store.side_table(VALIDATORS))
    try:
        return WebIngest(store, embeddings, fetcher, settings.chunk_chars).run(urls)
    finally:
        fetcher.close()


class WebIngest:
    def __init__(
        self, store: NewsStore, embeddings: Embeddings, fetcher: Fetcher, chunk_chars: int = 900
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.ingestor = Ingestor(store, embeddings, chunk_chars)
        self.signatures: dict[str, list[int]] = {}  # read once per run, not once per article

    def run(self, urls: list[str]) -> IngestReport:
        """One failed URL is reported in `skipped` and never stops the run."""
        with self.store.writing():
            self.signatures = dict(self.store.side_table(SIGNATURES).items())
            return self._run(urls)

    def _run(self, urls: list[str]) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        queue = deque(WebItem(url) for url in urls)
        seen: set[str] = set()
        while queue:
            item = queue.popleft()
            if item.url in seen:
                continue
            seen.add(item.url)
            report.files_seen += 1
            try:
                queue.extend(self.visit(item, report))
            except Exception as error:  # a hostile page must not end the run
                logger.warning("could not ingest %s", item.url, exc_info=True)
                report.skipped.append({"path": item.url, "reason": f"unreadable: {error}"})
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def visit(self, item: WebItem, report: IngestReport) -> list[WebItem]:
        """Fetch one URL; store it if it is an article; return what a feed or sitemap lists."""
        result = self.fetcher.get(item.url, conditional=True)
        if result.not_modified:
            report.unchanged += 1
            return []
        if result.error:
            if item.feed_entry is not None and self.from_feed_entry(item, report):
                return []
            report.skipped.append({"path": item.url, "reason": result.error})
            return []
        kind = kind_of(result)
        if kind == "feed":
            entries, title = feed_items(result)
            for entry in entries:
                entry.feed_entry = {**(entry.feed_entry or {}), "feed_title": title}
            return entries
        if kind == "sitemap":
            return [WebItem(url) for url in sitemap_urls(result)]
        if kind != "html":
            reason = f"not an HTML page, feed or sitemap ({result.content_type or 'no type'})"
            report.skipped.append({"path": item.url, "reason": reason})
            return []
        article = article_from_page(result)
        if article is None:
            report.skipped.append({"path": item.url, "reason": "no article text found"})
        else:
            self.store_article(with_feed_details(article, item.feed_entry), item.url, report)
        return []

    def from_feed_entry(self, item: WebItem, report: IngestReport) -> bool:
        entry: dict[str, Any] = item.feed_entry or {}
        article = article_from_entry(entry, entry.get("feed_title", ""))
        if article is None:
            return False
        report.summaries.append(item.url)
        self.store_article(article, item.url, report)
        return True

    def store_article(self, article: Article, origin: str, report: IngestReport) -> None:
        digest = content_hash(f"{article.title}\n{article.published}\n{article.text}".encode())
        previous = self.store.records.get(article.doc_id)
        if previous is not None and previous.content_hash == digest:
            report.unchanged += 1
            return
        signature = dedup.signature(article.text)
        if previous is None and self.merge_duplicate(article, signature, report):
            return
        if previous is None:
            report.added += 1
        else:
            report.updated += 1
        self.ingestor.write([(article, origin, digest)], report)
        self.store.side_table(SIGNATURES).put(article.doc_id, signature)
        self.signatures[article.doc_id] = signature

    def merge_duplicate(self, article: Article, signature: list[int], report: IngestReport) -> bool:
        """The same story already stored under another URL: remember this URL there."""
        for doc_id, other in self.signatures.items():
            if dedup.similarity(signature, other) >= dedup.THRESHOLD:
                others = self.store.side_table(OTHER_URLS)
                urls = sorted({*(others.get(doc_id) or []), article.url})
                others.put(doc_id, urls)
                self.store.set_chunk_metadata(doc_id, {"also_urls": " ".join(urls)})
                report.duplicates.append({"path": article.url, "same_as": doc_id})
                return True
        return False
