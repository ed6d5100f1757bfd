"""Web ingestion against a real HTTP server on 127.0.0.1 (started by the fixture): article
pages with dates from meta tags, JSON-LD and the URL; RSS 2.0 and Atom feeds; sitemaps;
conditional requests; duplicates; robots.txt; timeouts; oversized and non-HTML responses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ingest.crawl import WebIngest
from ingest.fetch import Fetcher, FetchPolicy
from rag.chain import Pipeline
from rag.config import Settings
from rag.retrieval import NewsRetriever
from rag.store import NewsStore, open_store
from tests.conftest import HashingEmbeddings


@pytest.fixture
def settings(store_settings: Settings) -> Settings:
    """Every test here runs on the embedded store, on a real Chroma server, and on that server
    with the records in PostgreSQL."""
    return store_settings


Route = tuple[int, dict[str, str], bytes] | Callable[[BaseHTTPRequestHandler], None]
BRIDGE_TEXT = (
    "The harbour bridge reopened to traffic on Monday after eight months of repairs that cost "
    "63 million pounds, the council said in a statement on its website. Drivers had used a long "
    "detour through the town centre since the summer, and shops on the high street reported a "
    "fall in trade while the work went on. The council leader thanked residents for their "
    "patience and said the new deck should last for another fifty years without major repairs."
)


def page(title: str, body: str, head: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body><article>"
        f"<h1>{title}</h1><p>{body}</p></article></body></html>"
    ).encode()


class Site:
    """Routes and a log of the requests the server saw."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.base = ""

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


def handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append((self.path, dict(self.headers)))
            route = site.routes.get(self.path)
            if route is None:
                self.send_response(404)
                self.end_headers()
                return
            if callable(route):
                route(self)
                return
            status, headers, body = route
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def store(settings: Settings) -> NewsStore:
    return open_store(settings, "fake")


def crawl(store: NewsStore, urls: list[str], **policy: Any) -> Any:
    fetcher = Fetcher(None, FetchPolicy(min_interval_s=0, **policy))
    try:
        return WebIngest(store, HashingEmbeddings(), fetcher).run(urls)
    finally:
        fetcher.close()


def test_article_pages_with_dates_from_meta_json_ld_and_the_url(
    site: Site, store: NewsStore
) -> None:
    meta = (
        f'<link rel="canonical" href="{site.base}/news/bridge">'
        '<meta property="og:site_name" content="City Herald"><meta name="author" content="Ann">'
        '<meta property="article:published_time" content="2024-03-14T10:00:00Z">'
    )
    json_ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"datePublished": "2022-11-02T08:00:00Z", "headline": "Tram strike"}</script>'
    )
    tram = BRIDGE_TEXT.replace("harbour bridge", "tram network").replace("63", "nine")
    ferry = "A ferry service returned to the island after three years, its operator said. " * 3
    bridge_page = page("Harbour bridge reopens", BRIDGE_TEXT, meta)
    site.routes["/news/bridge?utm_source=feed"] = (200, HTML, bridge_page)
    site.routes["/tram"] = (200, HTML, page("Tram strike called off", tram + " Tram.", json_ld))
    site.routes["/2021/07/09/ferry"] = (200, HTML, page("Ferry returns", ferry))
    report = crawl(
        store,
        [
            f"{site.base}/news/bridge?utm_source=feed",
            f"{site.base}/tram",
            f"{site.base}/2021/07/09/ferry",
        ],
    )
    assert report.added == 3 and not report.skipped
    bridge = store.records.get(f"{site.base}/news/bridge")  # the canonical URL is the doc id
    assert bridge is not None and bridge.published == "2024-03-14"
    assert bridge.source == "City Herald" and bridge.title == "Harbour bridge reopens"
    assert store.records.get(f"{site.base}/tram").published == "2022-11-02"
    assert store.records.get(f"{site.base}/2021/07/09/ferry").published == "2021-07-09"
    assert any(h.get("User-Agent", "").startswith("newsrag/") for _, h in site.requests)


def feed_fixture(site: Site, kind: str) -> str:
    site.routes["/a"] = (200, HTML, page("Harbour bridge reopens", BRIDGE_TEXT))
    entry_b = "Tram drivers called off Friday's strike after accepting a six per cent pay rise."
    if kind == "rss":
        body = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>City Herald</title>
<item><title>Harbour bridge reopens</title><link>{site.base}/a</link>
<pubDate>Thu, 14 Mar 2024 10:00:00 GMT</pubDate></item>
<item><title>Tram strike called off</title><link>{site.base}/gone</link>
<description>{entry_b}</description><pubDate>Fri, 15 Mar 2024 09:00:00 GMT</pubDate></item>
</channel></rss>"""
        headers = {"Content-Type": "application/rss+xml", "ETag": '"v1"'}
    else:
        body = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>City Herald</title><updated>2024-03-15T09:00:00Z</updated>
<entry><title>Harbour bridge reopens</title><link href="{site.base}/a"/><id>a</id>
<updated>2024-03-14T10:00:00Z</updated></entry>
<entry><title>Tram strike called off</title><link href="{site.base}/gone"/><id>b</id>
<updated>2024-03-15T09:00:00Z</updated><summary>{entry_b}</summary></entry></feed>"""
        headers = {
            "Content-Type": "application/atom+xml",
            "Last-Modified": formatdate(time.time() - 60, usegmt=True),
        }
    etag = headers.get("ETag")
    modified = headers.get("Last-Modified")

    def serve_feed(request: BaseHTTPRequestHandler) -> None:
        unchanged = (etag and request.headers.get("If-None-Match") == etag) or (
            modified and request.headers.get("If-Modified-Since") == modified
        )
        request.send_response(304 if unchanged else 200)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", "0" if unchanged else str(len(body.encode())))
        request.end_headers()
        if not unchanged:
            request.wfile.write(body.encode())

    site.routes["/feed"] = serve_feed
    return f"{site.base}/feed"


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feeds_fetch_every_entry_and_fall_back_to_the_summary(
    site: Site, store: NewsStore, kind: str
) -> None:
    feed = feed_fixture(site, kind)
    report = crawl(store, [feed])
    assert report.added == 2 and report.summaries == [f"{site.base}/gone"]
    page_article = store.records.get(f"{site.base}/a")
    assert page_article is not None and page_article.published == "2024-03-14"
    summary = store.records.get(f"{site.base}/gone")
    assert summary is not None and summary.published == "2024-03-15"
    chunk = store.collection.get(where={"doc_id": f"{site.base}/gone"})["documents"][0]
    assert "Feed summary only" in chunk and "six per cent" in chunk


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_an_unchanged_feed_costs_one_conditional_request(
    site: Site, store: NewsStore, tmp_path: Path, kind: str
) -> None:
    feed = feed_fixture(site, kind)
    fetcher = Fetcher(store.side_table("http_validators"), FetchPolicy(min_interval_s=0))
    ingest = WebIngest(store, HashingEmbeddings(), fetcher)
    ingest.run([feed])
    requests_before = len(site.requests)
    again = ingest.run([feed])
    assert again.unchanged == 1 and again.added == 0
    new_requests = site.requests[requests_before:]
    assert [p for p, _ in new_requests] == ["/feed"]  # the articles were not fetched again
    assert "If-None-Match" in new_requests[0][1] or "If-Modified-Since" in new_requests[0][1]


def test_sitemaps_list_the_articles(site: Site, store: NewsStore) -> None:
    site.routes["/a"] = (200, HTML, page("Harbour bridge reopens", BRIDGE_TEXT))
    site.routes["/sitemap.xml"] = (
        200,
        {"Content-Type": "application/xml"},
        (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{site.base}/a</loc></url><url><loc>{site.base}/missing</loc></url></urlset>"
        ).encode(),
    )
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.base}/sitemap.xml</loc></sitemap></sitemapindex>"
    )
    site.routes["/index.xml"] = (200, {"Content-Type": "text/xml"}, index.encode())
    report = crawl(store, [f"{site.base}/index.xml"])
    assert report.added == 1 and store.records.get(f"{site.base}/a") is not None
    assert report.skipped == [{"path": f"{site.base}/missing", "reason": "HTTP 404"}]


def test_the_same_story_twice_is_kept_once_with_both_urls(site: Site, store: NewsStore) -> None:
    site.routes["/herald/bridge"] = (200, HTML, page("Harbour bridge reopens", BRIDGE_TEXT))
    site.routes["/gazette/bridge-copy"] = (200, HTML, page("Bridge open again", BRIDGE_TEXT))
    report = crawl(store, [f"{site.base}/herald/bridge", f"{site.base}/gazette/bridge-copy"])
    assert report.added == 1 and store.records.count() == 1
    assert report.duplicates == [
        {"path": f"{site.base}/gazette/bridge-copy", "same_as": f"{site.base}/herald/bridge"}
    ]
    embeddings = HashingEmbeddings()
    pipeline = Pipeline(
        Settings(data_dir=Path("/nonexistent"), min_relevance=0.1),
        NewsRetriever(store=store, embeddings=embeddings),
        None,
    )
    source = pipeline.search("harbour bridge repairs cost")[0]
    assert source.url == f"{site.base}/herald/bridge"
    assert source.also_urls == [f"{site.base}/gazette/bridge-copy"]


def test_polite_and_bounded_fetching(site: Site, store: NewsStore) -> None:
    site.routes["/robots.txt"] = (
        200,
        {"Content-Type": "text/plain"},
        b"User-agent: *\nDisallow: /private/\n",
    )
    site.routes["/private/a"] = (200, HTML, page("Secret", BRIDGE_TEXT))
    site.routes["/big"] = (200, HTML, page("Big", "word " * 40_000))
    site.routes["/image.png"] = (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n" + b"0" * 100)
    site.routes["/loop"] = (302, {"Location": "/loop2"}, b"")
    site.routes["/loop2"] = (302, {"Location": "/loop"}, b"")

    def slow(request: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        request.send_response(200)
        request.end_headers()

    site.routes["/slow"] = slow
    site.routes["/ok"] = (200, HTML, page("Harbour bridge reopens", BRIDGE_TEXT))
    urls = [
        f"{site.base}{p}" for p in ("/private/a", "/big", "/image.png", "/loop", "/slow", "/ok")
    ]
    report = crawl(store, urls, max_bytes=100_000, timeout_s=0.5)
    reasons = {s["path"].removeprefix(site.base): s["reason"] for s in report.skipped}
    assert reasons["/private/a"] == "disallowed by robots.txt"
    assert reasons["/big"].startswith("larger than 100,000 bytes")
    assert reasons["/image.png"] == "not an HTML page, feed or sitemap (image/png)"
    assert reasons["/loop"] == "more than 5 redirects"
    assert reasons["/slow"].startswith("timed out")
    assert report.added == 1  # and the good page still went in
    assert site.hits("/private/a") == 0


def test_per_host_rate_limit(site: Site, store: NewsStore) -> None:
    for n in range(3):
        site.routes[f"/p{n}"] = (200, {"Content-Type": "image/png"}, b"x")
    fetcher = Fetcher(None, FetchPolicy(min_interval_s=0.3, respect_robots=False))
    started = time.monotonic()
    WebIngest(store, HashingEmbeddings(), fetcher).run([f"{site.base}/p{n}" for n in range(3)])
    assert time.monotonic() - started >= 0.6  # three requests to one host, 0.3 s apart


def test_watch_intervals_parse() -> None:
    import typer

    from ui.cli_web import parse_every

    assert parse_every("15m") == 900 and parse_every("30s") == 30 and parse_every("2") == 2
    assert parse_every("1.5h") == 5400
    with pytest.raises(typer.BadParameter, match="like 30s"):
        parse_every("soon")


@pytest.mark.models
def test_ask_answers_from_a_fetched_article_citing_its_url_and_date(
    site: Site, tmp_path: Path
) -> None:
    import json

    from typer.testing import CliRunner

    from ui.cli import app

    meta = '<meta property="article:published_time" content="2024-03-14T10:00:00Z">'
    site.routes["/news/bridge"] = (200, HTML, page("Harbour bridge reopens", BRIDGE_TEXT, meta))
    feed = feed_fixture(site, "rss")
    data = ["--data-dir", str(tmp_path / "data")]
    runner = CliRunner()
    added = runner.invoke(app, ["ingest", f"{site.base}/news/bridge", "--json", *data])
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["added"] == 1
    reply = runner.invoke(
        app, ["ask", "How much did the harbour bridge repairs cost?", "--json", *data]
    )
    answer = json.loads(reply.stdout)  # llama.cpp may say things on stderr
    assert "63" in answer["answer"] and not answer["refused"]
    cited = next(s for s in answer["sources"] if s["n"] in answer["cited"])
    assert cited["url"] == f"{site.base}/news/bridge" and cited["published"] == "2024-03-14"
    watched = runner.invoke(app, ["watch", feed, "--every", "0.1s", "--runs", "2", *data])
    assert watched.exit_code == 0, watched.output
    assert "1 unchanged" in watched.output.splitlines()[-1]  # the second poll: 304, nothing to do
