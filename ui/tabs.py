"""The library, evaluation and settings tabs of the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.chain import Pipeline
from ui.library import COLUMNS, add_articles, article_rows, delete_article, unpack_uploads
from ui.session import BACKENDS, Preferences, Sessions


def library_tab(gr: Any, pipeline: Pipeline) -> None:
    upload_dir = pipeline.settings.data_dir / "uploads"
    with gr.Row():
        search = gr.Textbox(label="Search titles", scale=3, elem_id="library-search")
        refresh = gr.Button("Refresh", scale=1)
    table = gr.Dataframe(
        value=article_rows(pipeline), headers=COLUMNS, interactive=False, elem_id="library"
    )
    with gr.Row():
        doc_id = gr.Textbox(label="Doc id to delete", scale=3)
        delete = gr.Button("Delete article", variant="stop", scale=1)
    with gr.Row():
        files = gr.File(label="Upload articles (.txt .md .html .json .jsonl, or a .zip)",
                        file_count="multiple", elem_id="upload")  # fmt: skip
        path = gr.Textbox(label="…or a file or folder on the server", elem_id="server-path")
    add = gr.Button("Add articles", variant="primary", elem_id="add-articles")
    status = gr.Markdown(elem_id="ingest-report")

    tracker = gr.Progress(track_tqdm=True)  # follows the ingest's tqdm bar

    def add_files(uploads: list[str] | None, folder: str, bar: Any = tracker) -> tuple[str, Any]:
        limit = pipeline.settings.max_file_bytes
        paths, problems = unpack_uploads(list(uploads or []), upload_dir, limit)
        if folder and folder.strip():
            server_path = Path(folder.strip()).expanduser()
            if server_path.exists():
                paths.append(server_path)
            else:
                problems.append(f"{folder}: no such file or folder on the server")
        return add_articles(pipeline, paths, problems), article_rows(pipeline)

    def remove(doc: str, title: str) -> tuple[str, Any]:
        return delete_article(pipeline, doc), article_rows(pipeline, title)

    add.click(add_files, [files, path], [status, table], concurrency_id="library")
    delete.click(remove, [doc_id, search], [status, table], concurrency_id="library")
    search.change(lambda t: article_rows(pipeline, t), search, table)
    refresh.click(lambda t: article_rows(pipeline, t), search, table)

    def pick(event: gr.SelectData) -> str:
        return str(event.row_value[-1]) if event.row_value else ""

    table.select(pick, None, doc_id)


def evaluate_tab(gr: Any, sessions: Sessions, prefs: Any) -> None:
    from ui.evaluate import question_sets, run_eval

    sets = question_sets(sessions.base)
    dataset = gr.Dropdown(sets, value=sets[0], label="Question set (or type a path)",
                          allow_custom_value=True)  # fmt: skip
    limit = gr.Number(value=0, precision=0, label="Only the first N cases (0: all)")
    run = gr.Button("Run evaluation", variant="primary")
    headline = gr.Markdown()
    report = gr.File(label="HTML report")

    tracker = gr.Progress(track_tqdm=True)

    def evaluate(
        name: str, first: float, chosen: Preferences, bar: Any = tracker
    ) -> tuple[str, Any]:
        return run_eval(sessions.pipeline(chosen), name, int(first or 0))

    run.click(evaluate, [dataset, limit, prefs], [headline, report], concurrency_id="answers")


def settings_tab(gr: Any, pipeline: Pipeline, prefs: Any) -> None:
    gr.Markdown(f"Server default model: `{pipeline.settings.llm}`. Changes apply to this "
                "browser session only.")  # fmt: skip
    passages = gr.Slider(1, 6, step=1, value=pipeline.settings.context_passages,
                         label="Passages given to the model")  # fmt: skip
    backend = gr.Radio(BACKENDS, value=BACKENDS[0], label="Answer with")
    url = gr.Textbox(label="OpenAI-compatible server URL", placeholder="http://127.0.0.1:8080/v1")
    model = gr.Textbox(label="Model name on that server")
    show = gr.Checkbox(label="Show retrieved passages that were not cited", value=False)

    def update(n: float, chosen: str, address: str, name: str, retrieved: bool) -> Preferences:
        return Preferences(int(n), chosen, address, name, retrieved)

    for control in (passages, backend, url, model, show):
        control.change(update, [passages, backend, url, model, show], prefs)
