"""The options several commands share, as typer annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the store lives (default: $NEWSRAG_DATA_DIR or the platform's user data dir).",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
TopK = Annotated[int | None, typer.Option("-k", "--top-k", help="Articles to retrieve.", min=1)]
Since = Annotated[str | None, typer.Option(help="Only articles published on/after YYYY-MM-DD.")]
Until = Annotated[str | None, typer.Option(help="Only articles published on/before YYYY-MM-DD.")]
LlmSpec = Annotated[
    str | None,
    typer.Option("--llm", help="llamacpp:bundled | llamacpp:/path.gguf | openai:MODEL | none"),
]
SourceName = Annotated[str | None, typer.Option("--source", help="Only articles from SOURCE.")]
ChromaUrl = Annotated[
    str | None,
    typer.Option(
        "--chroma-url",
        help="Use a Chroma server (http://host:port) instead of "
        "the embedded store; same as NEWSRAG_CHROMA_URL.",
        show_default=False,
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Keep the article records, lexical index and writer lock in PostgreSQL "
        "(postgresql://user:password@host:port/database) instead of SQLite in the data "
        "dir; same as NEWSRAG_DATABASE_URL (which keeps the password out of `ps`).",
        show_default=False,
    ),
]
