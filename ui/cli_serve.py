"""`newsrag serve`, `demo` and `hash-password`: the app's commands (kept apart from ui/cli.py
so that each module stays short)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ui.cli_options import DataDir, LlmSpec


def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind; keep 127.0.0.1 unless you protect the app.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    auth: Annotated[
        str | None,
        typer.Option(
            help="USER:PASS[:ROLE], or a file of such lines: every route needs a login. ROLE is "
            "reader (the default: chat, search, evaluations) or admin (also adds and deletes "
            "articles); PASS may be a hash from `newsrag hash-password`"
        ),
    ] = None,
    api_keys: Annotated[
        str | None,
        typer.Option(
            "--api-keys",
            help="A file of KEY or KEY:ROLE lines: /v1 (OpenAI-compatible) and /api/search "
            "then need Authorization: Bearer KEY",
        ),
    ] = None,
    llm: LlmSpec = None,
    data_dir: DataDir = None,
) -> None:
    """Start the chat app in the browser, with an OpenAI-compatible API at /v1.

    Examples:

    \b
      newsrag serve
      newsrag serve --port 8080 --data-dir ~/newsrag-data
      newsrag serve --host 0.0.0.0 --auth ~/.newsrag-users
    """
    from rag.chain import build_pipeline
    from ui.app import launch, read_auth
    from ui.auth import LOOPBACK_HOSTS, read_api_keys
    from ui.cli import guarded, load_settings

    guarded(lambda: read_auth(auth))
    guarded(lambda: read_api_keys(api_keys))
    if not auth and host not in LOOPBACK_HOSTS:
        typer.echo(
            f"note: {host} without --auth: everyone is a reader (no one can change the "
            "library); use --auth with an admin line to manage it",
            err=True,
        )
    settings = load_settings(data_dir, llm)
    pipeline = guarded(lambda: build_pipeline(settings))
    launch(pipeline, host=host, port=port, auth=auth, api_keys=api_keys)


def hash_password_command(
    user: Annotated[str, typer.Argument(help="The login name.")],
    role: Annotated[str, typer.Option(help="reader or admin.")] = "reader",
) -> None:
    """Print a line for the --auth file with the password hashed (scrypt); the password is read
    from the terminal (or standard input), never from the command line.

    Examples:

    \b
      newsrag hash-password ann --role admin >> ~/.newsrag-users
    """
    import getpass
    import sys

    from ui.auth import ROLES, hash_password
    from ui.cli import fail

    if role not in ROLES:
        raise fail(f"--role must be one of {', '.join(ROLES)}")
    if ":" in user or not user.strip():
        raise fail("the login name must be non-empty and hold no ':'")
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {user}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise fail("the password is empty")
    typer.echo(f"{user}:{hash_password(password)}:{role}")


def sample_corpus_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("rag") / "sample_corpus"))


def demo(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    data_dir: DataDir = None,
) -> None:
    """Ingest the bundled sample articles into their own data dir and start the chat.

    Examples:

    \b
      newsrag demo
      newsrag demo --port 8080
    """
    from ui.cli import ingest, load_settings

    settings = load_settings(data_dir)
    demo_dir = data_dir or settings.data_dir / "demo"
    typer.echo(f"Ingesting the sample articles into {demo_dir} ...", err=True)
    ingest([str(sample_corpus_dir())], prune=True, source=None, data_dir=demo_dir, as_json=False)
    typer.echo("Try: Who took over the NAM chair?", err=True)
    serve(host=host, port=port, auth=None, api_keys=None, llm=None, data_dir=demo_dir)
