"""`newsrag ingest URL...` and `newsrag watch FEED...`: web sources for the CLI."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated

import typer

_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_every(text: str) -> float:
    """'15m' -> 900.0 seconds; s, m, h and d are understood, seconds by default."""
    found = _EVERY.match(text)
    if not found or float(found.group(1)) <= 0:
        raise typer.BadParameter(f"wants a duration like 30s, 15m or 2h, got '{text}'")
    return float(found.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[found.group(2)]


def watch_command(
    feeds: Annotated[list[str], typer.Argument(help="Feed (or sitemap) URLs to poll.")],
    every: Annotated[str, typer.Option(help="How often to poll: 30s, 15m, 2h.")] = "15m",
    runs: Annotated[int, typer.Option(help="Stop after N polls (0: run until stopped).")] = 0,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", show_default=False)] = None,
) -> None:
    """Poll feeds and ingest new or changed articles; unchanged feeds cost one request.

    Examples:

    \b
      newsrag watch https://example.org/rss.xml --every 15m
      newsrag watch https://example.org/rss.xml --every 30s --runs 2
    """
    from ingest.crawl import ingest_urls, is_url
    from rag.models import for_store, make_embeddings
    from rag.store import open_store
    from ui.cli import fail, guarded, load_settings, print_report

    interval = parse_every(every)
    bad = [f for f in feeds if not is_url(f)]
    if bad:
        raise fail(f"watch takes http(s) URLs, not {bad[0]!r}")
    given = load_settings(data_dir)
    store = guarded(lambda: open_store(given))
    settings = guarded(lambda: for_store(given, store.embedding_model))
    embeddings = make_embeddings(settings)
    done = 0
    while True:
        typer.echo(time.strftime("%Y-%m-%d %H:%M:%S polling"), err=True)
        print_report(ingest_urls(feeds, settings, store, embeddings).as_dict(), as_json=False)
        done += 1
        if runs and done >= runs:
            return
        time.sleep(interval)
