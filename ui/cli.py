"""`newsrag` command line: a thin layer over the library. Heavy imports stay inside commands."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from rag.config import Settings
from ui.cli_eval import compare_command, eval_command
from ui.cli_migrate import migrate_command
from ui.cli_options import (
    AsJson,
    ChromaUrl,
    DatabaseUrl,
    DataDir,
    LlmSpec,
    Since,
    SourceName,
    TopK,
    Until,
)
from ui.cli_output import emit_json, print_answer, print_sources, show_stream
from ui.cli_serve import demo, hash_password_command, serve
from ui.cli_web import watch_command

app = typer.Typer(
    help="Ask questions about your news articles, offline, with cited sources.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

GLOBAL_OPTIONS: dict[str, str | None] = {}


@app.callback()
def main_options(
    chroma_url: ChromaUrl = None,
    database_url: DatabaseUrl = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="Log more (-vv: debug).")
    ] = 0,
) -> None:
    """Ask questions about your news articles, offline, with cited sources."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if verbose < 2:  # the libraries' own chatter stays out unless asked for
        for noisy in ("httpx", "chromadb", "urllib3", "sentence_transformers", "psycopg"):
            logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    GLOBAL_OPTIONS["chroma_url"] = chroma_url  # set on every invocation, read by load_settings
    GLOBAL_OPTIONS["database_url"] = database_url


def load_settings(data_dir: Path | None, llm: str | None = None) -> Settings:
    settings = Settings()
    if GLOBAL_OPTIONS.get("chroma_url"):  # the global --chroma-url, before any command
        settings = settings.model_copy(update={"chroma_url": GLOBAL_OPTIONS["chroma_url"]})
    if GLOBAL_OPTIONS.get("database_url"):  # the global --database-url
        secret = SecretStr(GLOBAL_OPTIONS["database_url"] or "")
        settings = settings.model_copy(update={"database_url": secret})
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir.expanduser()})
    if llm is not None:
        settings = settings.model_copy(update={"llm": llm})
    return settings


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def guarded(action: Any) -> Any:
    """Run a command body; turn the library's own errors into one clear line, exit status 2."""
    from rag.lock import StoreBusy
    from rag.models import ConfigError
    from rag.store import StoreError

    try:
        return action()
    except (StoreError, StoreBusy, ConfigError, ValueError) as error:
        raise fail(str(error)) from None


def make_filters(since: str | None, until: str | None, source: str | None) -> Any:
    from ui.filters import parse_filters

    try:
        return parse_filters(since, until, source, labels=("--since", "--until"))
    except ValueError as error:
        raise fail(str(error)) from None


@app.command()
def ingest(
    paths: Annotated[
        list[str], typer.Argument(help="Article files or folders; article, feed or sitemap URLs.")
    ],
    prune: Annotated[bool, typer.Option(help="Drop articles whose files are gone.")] = False,
    source: Annotated[str | None, typer.Option(help="Publisher name for all files.")] = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Add or update articles (.txt .md .html .json .jsonl, or web pages, RSS/Atom feeds and
    sitemaps by URL); unchanged files and feeds cost nothing.

    Examples:

    \b
      newsrag ingest ~/news
      newsrag ingest ~/news --prune --json
      newsrag ingest https://example.org/feed.xml https://example.org/2024/05/story.html
    """
    from ingest.crawl import ingest_urls, is_url
    from ingest.pipeline import IngestReport
    from ingest.pipeline import ingest as run_ingest
    from rag.models import for_store, make_embeddings
    from rag.store import open_store

    given = load_settings(data_dir)
    urls = [p for p in paths if is_url(p)]
    files = [Path(p) for p in paths if not is_url(p)]

    def body() -> dict[str, Any]:
        store = open_store(given)
        settings = for_store(given, store.embedding_model)  # unset: the store's own model
        embeddings = make_embeddings(settings)
        reports = []
        if files:
            reports.append(
                run_ingest(
                    files,
                    store,
                    embeddings,
                    chunk_chars=settings.chunk_chars,
                    max_file_bytes=settings.max_file_bytes,
                    prune=prune,
                    source=source,
                    progress=not as_json,
                )
            )
        if urls:
            reports.append(ingest_urls(urls, settings, store, embeddings))
        return IngestReport.merged(reports).as_dict()

    print_report(guarded(body), as_json)


def print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(report)
        return
    from ingest.pipeline import report_lines

    summary, *details = report_lines(report)
    typer.echo(summary)
    for line in details:
        typer.echo(f"  {line}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in quotes.")],
    top_k: TopK = None,
    since: Since = None,
    until: Until = None,
    source: SourceName = None,
    history: Annotated[
        Path | None,
        typer.Option(help='Earlier turns, a JSON file: [{"role": "user", "content": "..."}, ...]'),
    ] = None,
    llm: LlmSpec = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Answer a question from the ingested articles, citing them.

    Examples:

    \b
      newsrag ask "Who took over the NAM chair?"
      newsrag ask "What did Time Warner earn?" -k 6 --json
      newsrag ask "And how much did its sales rise?" --history chat.json
      newsrag ask "Who won Euro 2024?" --llm none      # quote the evidence, no model
    """
    if not question.strip():
        raise fail("the question is empty")
    filters = make_filters(since, until, source)
    turns = read_history(history) if history else None
    from rag.chain import build_pipeline

    settings = load_settings(data_dir, llm)
    pipeline = guarded(lambda: build_pipeline(settings, one_shot=True))
    response = guarded(lambda: pipeline.ask(question, top_k, filters, turns))
    answer = guarded(lambda: show_stream(response, live=not as_json and sys.stdout.isatty()))
    if as_json:
        emit_json(answer.model_dump())
    else:
        print_answer(answer)


def read_history(path: Path) -> Any:
    from rag.followup import validate_history

    try:
        return validate_history(json.loads(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise fail(f"cannot read --history {path}: {error.strerror}") from None
    except (json.JSONDecodeError, ValueError) as error:
        raise fail(f"--history {path}: {error}") from None


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    top_k: TopK = None,
    since: Since = None,
    until: Until = None,
    source: SourceName = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Show the best-matching articles, without generating an answer.

    Examples:

    \b
      newsrag search "Non-Aligned Movement summit"
      newsrag search "broadband prices" -k 10 --json
    """
    if not query.strip():
        raise fail("the query is empty")
    filters = make_filters(since, until, source)
    from rag.chain import build_pipeline

    settings = load_settings(data_dir)
    sources = guarded(
        lambda: build_pipeline(settings, with_llm=False, one_shot=True).search(
            query, top_k, filters
        )
    )
    if as_json:
        emit_json({"query": query, "results": [s.model_dump() for s in sources]})
    else:
        print_sources(sources) if sources else typer.echo("No articles found.")


@app.command()
def info(data_dir: DataDir = None, as_json: AsJson = False) -> None:
    """Show where the store is and what it holds.

    Examples:

    \b
      newsrag info
      newsrag info --json --data-dir /tmp/newsrag
    """
    from rag.models import embedding_spec, for_store
    from rag.store import open_store

    given = load_settings(data_dir)
    store = guarded(lambda: open_store(given))
    settings = guarded(lambda: for_store(given, store.embedding_model))
    payload = {
        "data_dir": str(settings.data_dir),
        "records": store.records.describe(),
        "chroma": settings.chroma_url or str(settings.chroma_dir),
        "collection": settings.collection,
        "articles": store.article_count(),
        "chunks": store.count_chunks(),
        "embedding_model": embedding_spec(settings),
        "embedding_dim": store.embedding_dim,
        "llm": settings.llm,
    }
    if as_json:
        emit_json(payload)
    else:
        for key, value in payload.items():
            typer.echo(f"{key:16} {value}")


app.command()(serve)
app.command("hash-password")(hash_password_command)
app.command()(demo)
app.command("eval")(eval_command)
app.command("compare")(compare_command)
app.command("watch")(watch_command)
app.command("migrate")(migrate_command)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="newsrag")


if __name__ == "__main__":  # pragma: no cover
    main()
