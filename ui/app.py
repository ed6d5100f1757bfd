"""A minimal chat over the pipeline: the answer, then its numbered sources."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from rag.answer import Answer
from rag.followup import Turn

if TYPE_CHECKING:
    from collections.abc import Iterator

    import gradio as gr

    from rag.chain import Pipeline

EXAMPLES = [
    "Who took over the NAM chair?",
    "Which country joined NATO as its 32nd member?",
    "Who won the 2030 World Cup?",
]
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def escape_markdown(text: str) -> str:
    """Article text is data: it must not render as links, images or HTML in the chat."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.unescape(text))


def render_answer(answer: Answer) -> str:
    """Markdown for one reply. Only the sources' own URLs become links."""
    lines = [escape_markdown(answer.answer)]
    # A refusal lists nothing: unrelated "closest" articles read as if they were evidence.
    shown = [] if answer.refused else [s for s in answer.sources if s.n in answer.cited]
    if shown:
        lines.append("\n**Sources:**")
    for src in shown:
        label = escape_markdown(src.title or src.doc_id)
        if src.url.startswith(("http://", "https://")):
            label = f"[{label}](<{src.url}>)"
        meta = ", ".join(escape_markdown(p) for p in (src.source, src.published or "undated") if p)
        snippet = escape_markdown(src.snippet[:280] + ("…" if len(src.snippet) > 280 else ""))
        lines.append(f"{src.n}. {label} — {meta}\n   > {snippet}")
    return "\n".join(lines)


def plain_turns(history: list[dict[str, Any]]) -> list[Turn]:
    """Gradio's chat history -> the pipeline's turns; replies lose their sources block."""
    turns: list[Turn] = []
    for message in history[-6:]:
        content = message.get("content")
        if isinstance(content, list):  # Gradio 6 may hand content as a list of parts
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        if message.get("role") in ("user", "assistant") and isinstance(content, str):
            text = content.split("\n\n**Sources:**", 1)[0].replace("\\", "")
            turns.append(Turn(role=message["role"], content=text))
    return turns


def build_app(pipeline: Pipeline) -> gr.Blocks:
    import gradio as gr

    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[str]:
        """Stream the draft as it is generated; the verified answer replaces it at the end."""
        if not message or not message.strip():
            yield "Please type a question."
            return
        draft = ""
        for event in pipeline.ask_stream(message[:2000], history=plain_turns(history)):
            if isinstance(event, Answer):
                yield render_answer(event)
                return
            draft += event
            yield escape_markdown(draft.lstrip()) + " …"

    return gr.ChatInterface(
        fn=respond,
        title="newsrag",
        description="Ask about the ingested news articles. Answers cite their sources.",
        examples=EXAMPLES,
        cache_examples=False,
        analytics_enabled=False,
        api_name="ask",
    )


def launch(
    pipeline: Pipeline, host: str = "127.0.0.1", port: int = 7860, **kwargs: Any
) -> gr.Blocks:
    """Start the app; a bounded queue answers 'busy' instead of piling up requests."""
    demo = build_app(pipeline)
    demo.queue(max_size=32, default_concurrency_limit=1)
    demo.launch(server_name=host, server_port=port, footer_links=[], **kwargs)
    return demo
