"""How the CLI prints: JSON, plain-text answers and sources, and a live token stream."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # the CLI starts without importing LangChain
    from rag.answer import Answer, Source
    from rag.state import Response


def emit_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def print_sources(sources: list[Source], cited: list[int] | None = None) -> None:
    """One line a source; under a cited one, the sentences the answer rests on."""
    for src in sources:
        meta = ", ".join(p for p in (src.source, src.published or "undated") if p)
        typer.echo(f"  [{src.n}] {src.title} ({meta}) · {src.doc_id} · score {src.score:.2f}")
        for sentence in src.evidence if cited and src.n in cited else []:
            typer.echo(f"      “{sentence.strip('“”')}”")


def print_answer(answer: Answer) -> None:
    typer.echo(answer.answer)
    if answer.sources:
        typer.echo("\nClosest articles:" if answer.refused else "\nSources:")
        print_sources(answer.sources, [] if answer.refused else answer.cited)


def show_stream(response: Response, live: bool) -> Answer:
    """Print tokens as they come (on a terminal), then clear them: the verified answer is what
    stays on screen."""
    started = False
    for token in response:
        if live:
            sys.stdout.write(token if started else "\0337" + token.lstrip())
            sys.stdout.flush()
            started = True
    answer = response.answer()
    if started:
        sys.stdout.write("\0338\033[J")  # back to the saved cursor; clear the draft
    return answer
