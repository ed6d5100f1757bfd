"""The chat app: chat with streamed, verified answers and a sources panel; filters; per-session
settings; the library (list, search, delete, upload); evaluations. It calls the same `rag`
functions as the CLI and keeps per-user state in the session, never in module globals."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rag.question import MAX_QUESTION_CHARS
from ui.auth import BasicAuthMiddleware, read_auth
from ui.render import escape_markdown, plain_turns, render_answer, sources_html
from ui.session import Preferences, Sessions
from ui.tabs import evaluate_tab, library_tab, settings_tab

if TYPE_CHECKING:
    import gradio as gr

    from rag.chain import Pipeline
    from rag.state import Response

__all__ = ["build_app", "launch", "read_auth", "render_answer"]
EXAMPLES = [
    "Who took over the NAM chair?",
    "Which country joined NATO as its 32nd member?",
    "Who won the 2030 World Cup?",
]
MAX_UPLOAD = "20mb"
CSS = """
.source-card { border: 1px solid #d0d7de; border-radius: 8px; padding: .5rem .7rem;
  margin: .4rem 0; }
.source-card.retrieved { opacity: .75; }
.source-meta, .timings { color: #57606a; font-size: .85em; }
.source-snippet mark { background: #fff3a3; padding: 0 .1em; } .refusal-note { color: #9a6700; }
"""  # fmt: skip


def make_filters(since: str, until: str, source: str | None) -> Any:
    from ingest.loaders import normalise_date
    from rag.retrieval import Filters

    for label, value in (("From", since), ("To", until)):
        if value and value.strip() and normalise_date(value.strip()) is None:
            raise ValueError(f"{label} date: write it like 2024-01-31 (got '{value}')")
    since_day = normalise_date(since.strip()) if since and since.strip() else None
    until_day = normalise_date(until.strip()) if until and until.strip() else None
    return Filters(since_day, until_day, source or None)


def answer_stream(
    sessions: Sessions, prefs: Preferences, question: str, history: list[dict[str, Any]],
    filters: Any,
) -> Response:  # fmt: skip
    pipeline = sessions.pipeline(prefs)
    return pipeline.ask(question[:MAX_QUESTION_CHARS], history=plain_turns(history),
                        filters=filters)  # fmt: skip


def chat_handler(sessions: Sessions) -> Any:
    def respond(
        question: str, history: list[dict[str, Any]], since: str, until: str, source: str | None,
        prefs: Preferences,
    ) -> Iterator[tuple[str, list[dict[str, Any]], str]]:  # fmt: skip
        """Stream the draft as it is generated; the verified answer replaces it at the end."""
        history = list(history or [])
        if not question or not question.strip():
            yield "", history, sources_html(None)
            return
        history += [{"role": "user", "content": question[:MAX_QUESTION_CHARS]},
                    {"role": "assistant", "content": "…"}]  # fmt: skip
        yield "", history, '<div class="sources-empty">Searching the articles…</div>'
        try:
            filters = make_filters(since, until, source)
            draft = ""
            response = answer_stream(sessions, prefs, question, history[:-2], filters)
            for token in response:
                draft += token
                history[-1] = {
                    "role": "assistant",
                    "content": escape_markdown(draft.lstrip()) + " …",
                }
                yield "", history, gr_skip()
            answer = response.answer()
            history[-1] = {"role": "assistant", "content": render_answer(answer)}
            yield "", history, sources_html(answer, prefs.show_retrieved)
        except Exception as error:  # one failed question must not end the session
            history[-1] = {
                "role": "assistant",
                "content": f"Sorry, that failed: {escape_markdown(str(error))}",
            }
            yield "", history, sources_html(None)

    return respond


def gr_skip() -> Any:
    import gradio as gr

    return gr.skip()


def api_handler(sessions: Sessions, base_prefs: Preferences) -> Any:
    def ask(
        question: str, history: list[dict[str, str]] | None = None, since: str = "",
        until: str = "", source: str = "", passages: int = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """Answer one question (with earlier turns for a follow-up); returns the answer object."""
        import gradio as gr

        from rag.followup import validate_history

        try:
            if not question or not question.strip():
                raise ValueError("the question is empty")
            prefs = dataclasses.replace(base_prefs, passages=int(passages) or base_prefs.passages)
            turns: list[Any] = list(validate_history(history or []))
            filters = make_filters(since, until, source or None)
        except ValueError as error:
            raise gr.Error(str(error)) from None  # shown to the client, unlike other errors
        return answer_stream(sessions, prefs, question, turns, filters).answer().model_dump()

    return ask


def build_app(pipeline: Pipeline) -> gr.Blocks:
    import gradio as gr

    sessions = Sessions(pipeline)
    defaults = Preferences(passages=pipeline.settings.context_passages)
    with gr.Blocks(title="newsrag", analytics_enabled=False) as demo:
        prefs = gr.State(defaults)
        gr.Markdown("## newsrag\nAsk about the ingested news articles. Answers cite their sources.")
        with gr.Tab("Chat"):
            chat_tab(gr, sessions, prefs)
        with gr.Tab("Library"):
            library_tab(gr, pipeline)
        with gr.Tab("Evaluate"):
            evaluate_tab(gr, sessions, prefs)
        with gr.Tab("Settings"):
            settings_tab(gr, pipeline, prefs)
        gr.api(api_handler(sessions, defaults), api_name="ask")
    return demo


def chat_tab(gr: Any, sessions: Sessions, prefs: Any) -> None:
    sources_choices = ["", *sessions.base.retriever.store.records.sources()]
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label="Chat", height=520, elem_id="chat")
            question = gr.Textbox(
                placeholder="Ask about the articles, then press Enter", show_label=False,
                submit_btn=True, elem_id="question", max_length=MAX_QUESTION_CHARS,
            )  # fmt: skip
            gr.Examples(EXAMPLES, question)
        with gr.Column(scale=2):
            with gr.Accordion("Filters", open=False):
                since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="since")
                until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="until")
                source = gr.Dropdown(sources_choices, value="", label="Source", elem_id="source")
            gr.Markdown("**Sources**")
            panel = gr.HTML(sources_html(None), elem_id="sources")
    question.submit(
        chat_handler(sessions), [question, chatbot, since, until, source, prefs],
        [question, chatbot, panel], api_name="chat", concurrency_id="answers",
    )  # fmt: skip


def launch(
    pipeline: Pipeline, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None,
    **kwargs: Any,
) -> gr.Blocks:  # fmt: skip
    """Start the app; a bounded queue answers 'busy' instead of piling up requests."""
    from starlette.middleware import Middleware

    demo = build_app(pipeline)
    demo.queue(max_size=32, default_concurrency_limit=1)
    reports = pipeline.settings.data_dir / "eval-reports"
    reports.mkdir(parents=True, exist_ok=True)
    users = read_auth(auth)
    middleware = [Middleware(BasicAuthMiddleware, users=users)] if users else []
    demo.launch(
        server_name=host, server_port=port, footer_links=[], max_file_size=MAX_UPLOAD, css=CSS,
        allowed_paths=[str(reports)], app_kwargs={"middleware": middleware}, **kwargs,
    )  # fmt: skip
    return demo
