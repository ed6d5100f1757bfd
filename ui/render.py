"""What the app shows, as text: the answer (markdown, escaped) and the sources panel (HTML,
escaped, with the evidence the answer rests on highlighted). Article text is data: nothing
from it renders as a link, an image or markup; only the sources' own URLs become links."""

from __future__ import annotations

import html
import re

from rag.answer import Answer, Source

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")
REFUSAL_HELP = (
    "The ingested articles don't say. Try other words, a wider date range or no source filter, "
    "or add articles in the Library tab."
)


def escape_markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.unescape(text))


def render_answer(answer: Answer) -> str:
    """Markdown for one chat reply: the answer; a refusal says so plainly, with what to try."""
    if answer.refused:
        return f"{escape_markdown(answer.answer)}\n\n_{REFUSAL_HELP}_"
    return escape_markdown(answer.answer)


def safe_url(url: str) -> str | None:
    return url if url.startswith(("http://", "https://")) else None


def highlighted(snippet: str, evidence: list[str]) -> str:
    """The snippet, escaped, with each evidence sentence wrapped in <mark>."""
    text = html.escape(" ".join(html.unescape(snippet).split()))
    for sentence in evidence:
        escaped = html.escape(" ".join(html.unescape(sentence).split()))
        if escaped and escaped in text:
            text = text.replace(escaped, f"<mark>{escaped}</mark>", 1)
    return text


def source_card(source: Source, cited: bool) -> str:
    title = html.escape(source.title or source.doc_id)
    url = safe_url(source.url)
    heading = (
        f'<a href="{html.escape(url)}" target="_blank" rel="noopener">{title}</a>' if url else title
    )
    meta = " · ".join(html.escape(p) for p in (source.source, source.published or "undated") if p)
    label = "cited" if cited else "retrieved"
    elsewhere = [u for u in (safe_url(x) for x in source.also_urls) if u]
    if elsewhere:  # the same story found at other addresses (kept once)
        links = ", ".join(
            f'<a href="{html.escape(u)}" rel="noopener">{html.escape(u)}</a>' for u in elsewhere
        )
        meta += f" · also at {links}"
    return (
        f'<div class="source-card {label}" data-doc-id="{html.escape(source.doc_id)}">'
        f'<div class="source-head"><b>[{source.n}]</b> {heading}</div>'
        f'<div class="source-meta">{meta} · score {source.score:.2f} · {label}</div>'
        f'<div class="source-snippet">{highlighted(source.snippet, source.evidence)}</div></div>'
    )


def sources_html(answer: Answer | None, show_retrieved: bool = False) -> str:
    """The sources panel: the cited articles; all retrieved passages when asked for."""
    if answer is None:
        return '<div class="sources-empty">Sources appear here.</div>'
    cards = [source_card(s, True) for s in answer.sources if s.n in answer.cited]
    if answer.refused:
        cards = [f'<div class="refusal-note">{html.escape(REFUSAL_HELP)}</div>']
    if show_retrieved:
        others = [s for s in answer.sources if s.n not in answer.cited or answer.refused]
        if others:
            cards.append('<div class="retrieved-label">Retrieved passages (not cited)</div>')
            cards += [source_card(s, False) for s in others]
    timing = answer.timings
    cards.append(
        f'<div class="timings">retrieval {timing.retrieve_s:.2f} s · answer {timing.total_s:.2f} s'
        + (f" · first token {timing.first_token_s:.2f} s" if timing.first_token_s else "")
        + "</div>"
    )
    return "\n".join(cards)
