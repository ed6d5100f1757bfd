"""`newsrag migrate`: copy an embedded store into PostgreSQL (and a Chroma server)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ui.cli_options import AsJson, DataDir

PostgresTarget = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="postgresql://user:password@host:port/database (default: "
        "$NEWSRAG_DATABASE_URL, which keeps the password out of the process list).",
        show_default=False,
    ),
]
ChromaTarget = Annotated[
    str | None,
    typer.Option(
        "--chroma-url",
        help="Also copy the chunks (vectors, text, metadata) into this Chroma server.",
        show_default=False,
    ),
]


def migrate_command(
    to: PostgresTarget = None,
    chroma_url: ChromaTarget = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Copy the embedded store in --data-dir into PostgreSQL: article records, lexical index
    and side tables; with --chroma-url its chunks too (vectors, text, metadata, into the same
    collection name there), without re-embedding. Safe to re-run.

    Examples:

    \b
      newsrag migrate --to postgresql://newsrag@db-host/newsrag
      NEWSRAG_DATABASE_URL=postgresql://newsrag:secret@db-host/newsrag \\
        newsrag migrate --chroma-url http://chroma-host:8000 --data-dir ~/newsrag
    """
    from pydantic import SecretStr

    from rag.migrate import migrate
    from ui.cli import fail, guarded, load_settings
    from ui.cli_output import emit_json

    settings = load_settings(data_dir)
    url = to or settings.database_dsn
    if not url:
        raise fail("give --to postgresql://... (or set NEWSRAG_DATABASE_URL)")
    # the source is always the embedded store in the data dir, whatever the environment says
    source = settings.model_copy(update={"database_url": None, "chroma_url": None})
    changes: dict[str, Any] = {"database_url": SecretStr(url), "chroma_url": chroma_url}
    target = source.model_copy(update=changes)
    report = guarded(lambda: migrate(source, target))
    if as_json:
        emit_json(report.as_dict())
    else:
        for line in report.lines():
            typer.echo(line)
