"""The library, evaluation and settings tabs of the app.

Every handler that changes something asks `Access` for the caller's role on the server; the
page hides the admin's controls from readers only for their convenience. Internal handlers
are private (not in the API): the documented API is /ask and /search (see ui/app.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from rag.chain import Pipeline
from ui.auth import Access
from ui.library import (
    COLUMNS,
    add_articles,
    allowed_server_path,
    article_rows,
    delete_article,
    unpack_uploads,
)
from ui.session import CUSTOM, DEFAULT, Preferences, Sessions, backend_choices, checked

Handler = TypeVar("Handler", bound=Callable[..., Any])
PRIVATE = "private"  # not named in the API; still checked like any other call


def gradio_types(handler: Handler, **types: Any) -> Handler:
    """Gradio passes a gr.Request or event data only when it can resolve the annotation at run
    time; ours are strings (PEP 563) naming a module imported lazily, so name the types."""
    handler.__annotations__ = types
    return handler


def refused(error: Exception) -> str:
    return f"**Not done:** {error}"


def library_tab(gr: Any, pipeline: Pipeline, access: Access) -> list[Any]:
    """The tab; returns the admin-only controls (hidden until the page learns the role)."""
    with gr.Row():
        search = gr.Textbox(label="Search titles", scale=3, elem_id="library-search")
        refresh = gr.Button("Refresh", scale=1)
    table = gr.Dataframe(
        value=article_rows(pipeline), headers=COLUMNS, interactive=False, elem_id="library"
    )
    status = gr.Markdown(elem_id="ingest-report")
    with gr.Column(visible=False, elem_id="library-admin") as admin_only:
        with gr.Row():
            doc_id = gr.Textbox(label="Doc id to delete", scale=3, elem_id="delete-doc-id")
            delete = gr.Button("Delete article", variant="stop", scale=1, elem_id="delete")
        with gr.Row():
            files = gr.File(
                label="Upload articles (.txt .md .html .json .jsonl, or a .zip)",
                file_count="multiple",
                elem_id="upload",
            )
            path = gr.Textbox(label="…or a file or folder on the server", elem_id="server-path")
        add = gr.Button("Add articles", variant="primary", elem_id="add-articles")
    add_files, remove = library_changes(gr, pipeline, access)
    add.click(
        add_files, [files, path], [status, table], concurrency_id="library", api_visibility=PRIVATE
    )
    delete.click(
        remove, [doc_id, search], [status, table], concurrency_id="library", api_visibility=PRIVATE
    )
    for event in (search.change, refresh.click):
        event(
            lambda title: article_rows(pipeline, title or ""), search, table, api_visibility=PRIVATE
        )

    def pick(event: Any) -> str:
        """A clicked row fills in its doc id (the last column)."""
        row = getattr(event, "row_value", None)
        return str(row[-1]) if row else ""

    table.select(gradio_types(pick, event=gr.SelectData), None, doc_id, api_visibility=PRIVATE)
    return [admin_only]


def library_changes(gr: Any, pipeline: Pipeline, access: Access) -> tuple[Any, Any]:
    """The handlers that change the library: admins only, checked here on every call."""
    tracker = gr.Progress(track_tqdm=True)  # follows the ingest's tqdm bar
    settings = pipeline.settings

    def add_files(
        uploads: list[str] | None, folder: str, request: Any = None, bar: Any = tracker
    ) -> tuple[str, Any]:
        try:
            access.require_admin(request, "add articles")
            roots = settings.allowed_ingest_roots if access.enabled else None
            server_paths = [allowed_server_path(folder, roots)] if folder.strip() else []
        except (PermissionError, FileNotFoundError) as error:
            return refused(error), article_rows(pipeline)
        upload_dir = settings.data_dir / "uploads"
        paths, problems = unpack_uploads(list(uploads or []), upload_dir, settings.max_file_bytes)
        report = add_articles(pipeline, paths + server_paths, problems)
        return report, article_rows(pipeline)

    def remove(doc: str, title: str, request: Any = None) -> tuple[str, Any]:
        try:
            access.require_admin(request, "delete articles")
        except PermissionError as error:
            return refused(error), article_rows(pipeline, title)
        return delete_article(pipeline, doc), article_rows(pipeline, title)

    return (
        gradio_types(add_files, request=gr.Request),
        gradio_types(remove, request=gr.Request),
    )


def evaluate_tab(gr: Any, sessions: Sessions, prefs: Any, access: Access) -> None:
    from ui.evaluate import question_sets, run_eval

    names = list(question_sets(sessions.base))
    dataset = gr.Dropdown(names, value=names[0], label="Question set", elem_id="question-set")
    limit = gr.Number(value=0, precision=0, label="Only the first N cases (0: all)")
    run = gr.Button("Run evaluation", variant="primary", elem_id="run-evaluation")
    headline = gr.Markdown()
    report = gr.File(label="HTML report")
    tracker = gr.Progress(track_tqdm=True)

    def evaluate(
        name: str, first: float, chosen: Preferences, request: Any = None, bar: Any = tracker
    ) -> tuple[str, Any]:
        try:
            pipeline = sessions.pipeline(chosen, access.role(request))
        except (PermissionError, ValueError) as error:
            return refused(error), None
        return run_eval(pipeline, name, int(first or 0))

    gradio_types(evaluate, request=gr.Request)
    run.click(
        evaluate,
        [dataset, limit, prefs],
        [headline, report],
        concurrency_id="answers",
        api_visibility=PRIVATE,
    )


def settings_tab(gr: Any, pipeline: Pipeline, prefs: Any, access: Access) -> list[Any]:
    """The tab; returns the backend choice and the admin-only controls."""
    gr.Markdown(
        f"Server default model: `{pipeline.settings.llm}`. Changes apply to this "
        "browser session only."
    )
    passages = gr.Slider(
        1, 6, step=1, value=pipeline.settings.context_passages, label="Passages given to the model"
    )
    # every choice at first, so that Gradio's own check of the value lets an admin's API client
    # through; the page trims a reader's choices on load, and `checked` refuses them anyway
    backend = gr.Radio(
        backend_choices(pipeline, "admin"), value=DEFAULT, label="Answer with", elem_id="backend"
    )
    with gr.Column(visible=False, elem_id="custom-server") as admin_only:
        gr.Markdown(f"For “{CUSTOM}”: the server gets the key typed here, never the operator's.")
        url = gr.Textbox(
            label="OpenAI-compatible server URL",
            elem_id="server-url",
            placeholder="http://127.0.0.1:8080/v1",
        )
        model = gr.Textbox(label="Model name on that server", elem_id="server-model")
        key = gr.Textbox(label="API key for that server (this session only)", type="password")
    show = gr.Checkbox(label="Show retrieved passages that were not cited", value=False)
    short = gr.Checkbox(
        label="Short answers when an article states one clearly (the "
        "sentence is highlighted in the sources)",
        value=pipeline.settings.reader,
        elem_id="short-answers",
    )
    note = gr.Markdown(elem_id="settings-note")

    def update(
        n: float,
        chosen: str,
        address: str,
        name: str,
        secret: str,
        retrieved: bool,
        brief: bool,
        current: Preferences,
        request: Any = None,
    ) -> tuple[Preferences, str]:
        wanted = Preferences(int(n), chosen, address, name, secret, retrieved, brief)
        try:
            return checked(wanted, pipeline, access.role(request)), ""
        except (PermissionError, ValueError) as error:
            return current, refused(error)  # the session keeps what it had

    gradio_types(update, request=gr.Request)
    controls = [passages, backend, url, model, key, show, short]
    for control in controls:
        control.change(update, [*controls, prefs], [prefs, note], api_visibility=PRIVATE)
    return [backend, admin_only]


def reveal_for_role(gr: Any, pipeline: Pipeline, access: Access) -> Callable[..., Any]:
    """On page load: an admin sees the admin controls and may choose their own server."""

    def reveal(request: Any = None) -> tuple[Any, ...]:
        role = access.role(request)
        is_admin = role == "admin"
        return (
            gr.update(visible=is_admin),
            gr.update(choices=backend_choices(pipeline, role)),
            gr.update(visible=is_admin),
        )

    return gradio_types(reveal, request=gr.Request)
