"""The chat app: chat with streamed, verified answers and a sources panel; filters; per-session
settings; the library (list, search, delete, upload); evaluations. It calls the same `rag`
functions as the CLI and keeps per-user state in the session, never in module globals."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rag.followup import Turn
from rag.question import MAX_QUESTION_CHARS
from ui.auth import Access, BasicAuthMiddleware, read_auth
from ui.filters import parse_filters
from ui.render import escape_markdown, render_answer, sources_html
from ui.session import Preferences, Sessions
from ui.tabs import PRIVATE, evaluate_tab, gradio_types, library_tab, reveal_for_role, settings_tab

if TYPE_CHECKING:
    import gradio as gr

    from rag.chain import Pipeline
    from rag.state import Response
    from ui.auth import Role

__all__ = ["build_app", "launch", "read_auth", "render_answer"]
logger = logging.getLogger(__name__)
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
"""


def make_filters(since: str, until: str, source: str | None) -> Any:
    return parse_filters(since, until, source, labels=("From", "To"))


def answer_stream(
    sessions: Sessions,
    prefs: Preferences,
    question: str,
    turns: Sequence[Turn],
    filters: Any,
    role: Role = "reader",
) -> Response:
    """The pipeline's Response for one question; `turns`: the conversation so far, as plain
    text (the last three exchanges are used)."""
    pipeline = sessions.pipeline(prefs, role)
    return pipeline.ask(question[:MAX_QUESTION_CHARS], history=list(turns)[-6:], filters=filters)


def chat_handler(gr: Any, sessions: Sessions, access: Access) -> Any:
    def respond(
        question: str,
        history: list[dict[str, Any]],
        since: str,
        until: str,
        source: str | None,
        prefs: Preferences,
        turns: list[Turn],
        request: Any = None,
    ) -> Iterator[tuple[str, list[dict[str, Any]], str, list[Turn]]]:
        """Stream the draft as it is generated; the verified answer replaces it at the end.
        `turns` keeps the conversation as plain text beside the rendered chat (a cleared
        chat clears it)."""
        history = list(history or [])
        turns = list(turns or []) if history else []
        if not question or not question.strip():
            yield "", history, sources_html(None), turns
            return
        history += [
            {"role": "user", "content": question[:MAX_QUESTION_CHARS]},
            {"role": "assistant", "content": "…"},
        ]
        yield "", history, '<div class="sources-empty">Searching the articles…</div>', turns
        try:
            filters = make_filters(since, until, source)
            draft = ""
            role = access.role(request)
            response = answer_stream(sessions, prefs, question, turns, filters, role)
            for token in response:
                draft += token
                history[-1] = {
                    "role": "assistant",
                    "content": escape_markdown(draft.lstrip()) + " …",
                }
                yield "", history, gr_skip(), turns
            answer = response.answer()
            history[-1] = {"role": "assistant", "content": render_answer(answer)}
            turns += [
                Turn(role="user", content=answer.question),
                Turn(role="assistant", content=answer.answer),
            ]
            yield "", history, sources_html(answer, prefs.show_retrieved), turns
        except Exception as error:  # one failed question must not end the session
            logger.warning("a chat question failed", exc_info=True)
            history[-1] = {
                "role": "assistant",
                "content": f"Sorry, that failed: {escape_markdown(str(error))}",
            }
            yield "", history, sources_html(None), turns

    return gradio_types(respond, request=gr.Request)


def gr_skip() -> Any:
    import gradio as gr

    return gr.skip()


def api_handler(sessions: Sessions, base_prefs: Preferences) -> Any:
    def ask(
        question: str,
        history: list[dict[str, str]] | None = None,
        since: str = "",
        until: str = "",
        source: str = "",
        passages: int = 0,
    ) -> dict[str, Any]:
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


def search_handler(sessions: Sessions) -> Any:
    def search(
        query: str, k: int = 0, since: str = "", until: str = "", source: str = ""
    ) -> dict[str, Any]:
        """The best-matching articles for a query, without an answer (`newsrag search --json`)."""
        import gradio as gr

        try:
            if not query or not query.strip():
                raise ValueError("the query is empty")
            filters = make_filters(since, until, source or None)
            found = sessions.base.search(query, max(0, min(int(k or 0), 50)) or None, filters)
        except ValueError as error:
            raise gr.Error(str(error)) from None
        return {"query": query, "results": [s.model_dump() for s in found]}

    return search


def build_app(
    pipeline: Pipeline, access: Access | None = None, sessions: Sessions | None = None
) -> gr.Blocks:
    """The app. Its API is /ask and /search; every other handler is private and checks the
    caller's role itself."""
    import gradio as gr

    access = access or Access(None)
    sessions = sessions or Sessions(pipeline)
    defaults = Preferences(passages=pipeline.settings.context_passages)
    with gr.Blocks(title="newsrag", analytics_enabled=False) as demo:
        prefs = gr.State(defaults)
        gr.Markdown("## newsrag\nAsk about the ingested news articles. Answers cite their sources.")
        with gr.Tab("Chat"):
            chat_tab(gr, sessions, prefs, access)
        with gr.Tab("Library"):
            library_admin = library_tab(gr, pipeline, access)
        with gr.Tab("Evaluate"):
            evaluate_tab(gr, sessions, prefs, access)
        with gr.Tab("Settings"):
            settings_controls = settings_tab(gr, pipeline, prefs, access)
        demo.load(
            reveal_for_role(gr, pipeline, access),
            None,
            [*library_admin, *settings_controls],
            api_visibility=PRIVATE,
        )
        gr.api(api_handler(sessions, defaults), api_name="ask")
        gr.api(search_handler(sessions), api_name="search")
    return demo


def chat_tab(gr: Any, sessions: Sessions, prefs: Any, access: Access) -> None:
    sources_choices = ["", *sessions.base.store.sources()]
    turns = gr.State([])  # the conversation as plain text, for follow-up questions
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(label="Chat", height=520, elem_id="chat")
            question = gr.Textbox(
                placeholder="Ask about the articles, then press Enter",
                show_label=False,
                submit_btn=True,
                elem_id="question",
                max_length=MAX_QUESTION_CHARS,
            )
            gr.Examples(EXAMPLES, question)
        with gr.Column(scale=2):
            with gr.Accordion("Filters", open=False):
                since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="since")
                until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="until")
                source = gr.Dropdown(sources_choices, value="", label="Source", elem_id="source")
            gr.Markdown("**Sources**")
            panel = gr.HTML(sources_html(None), elem_id="sources")
    question.submit(
        chat_handler(gr, sessions, access),
        [question, chatbot, since, until, source, prefs, turns],
        [question, chatbot, panel, turns],
        concurrency_id="answers",
        api_visibility=PRIVATE,
    )


def launch(
    pipeline: Pipeline,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
    api_keys: str | None = None,
    api_gate: Any = None,
    **kwargs: Any,
) -> gr.Blocks:
    """Start the app; a bounded queue answers 'busy' instead of piling up requests."""
    from starlette.middleware import Middleware

    from ui.auth import read_api_keys
    from ui.openai_api import openai_router

    access = Access(read_auth(auth), host, read_api_keys(api_keys))
    sessions = Sessions(pipeline)
    demo = build_app(pipeline, access, sessions)
    demo.queue(max_size=32, default_concurrency_limit=1)
    reports = pipeline.settings.data_dir / "eval-reports"
    reports.mkdir(parents=True, exist_ok=True)
    middleware = [Middleware(BasicAuthMiddleware, access=access)] if access.enabled else []
    # /v1 (OpenAI-compatible) and /api/search on the same port; they check their own callers
    routes = openai_router(sessions, access, api_gate).routes
    demo.launch(
        server_name=host,
        server_port=port,
        footer_links=[],
        max_file_size=MAX_UPLOAD,
        css=CSS,
        allowed_paths=[str(reports)],
        app_kwargs={"middleware": middleware, "routes": routes},
        **kwargs,
    )
    return demo
