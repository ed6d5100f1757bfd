"""The minimal chat app, driven over HTTP with gradio_client (fake models, real Chroma)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.language_models.fake import FakeListLLM
from markdown_it import MarkdownIt

from rag.answer import Answer, Source
from rag.config import Settings
from tests.conftest import free_port
from tests.test_answer import sample_pipeline
from ui.app import launch, render_answer


@pytest.fixture
def app_url(settings: Settings) -> Iterator[str]:
    llm = FakeListLLM(responses=["Uganda took over the chair [1]."] * 5)
    pipeline = sample_pipeline(settings, llm)
    port = free_port()
    demo = launch(pipeline, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def test_chat_answers_with_sources_and_refuses_plainly(app_url: str) -> None:
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    reply = client.predict(message="Who took over the Non-Aligned Movement chair?", api_name="/ask")
    assert reply.startswith("Uganda took over the chair \\[1\\]")
    assert "**Sources:**" in reply and "Uganda takes over the Non" in reply
    refusal = client.predict(message="Who won the 2030 World Cup?", api_name="/ask")
    assert refusal == "I couldn't find this in the ingested articles."


def test_rendered_answer_never_carries_links_or_images_from_article_text() -> None:
    source = Source(
        n=1, doc_id="x", title="![img](http://evil.example/a.png)", published=None,
        source="Desk", url="javascript:alert(1)", snippet="<img src=x onerror=alert(1)>",
        score=0.9,
    )  # fmt: skip
    answer = Answer(question="q", answer="See [this](http://evil.example)", refused=False,
                    sources=[source], cited=[1])  # fmt: skip
    html = MarkdownIt("commonmark").render(render_answer(answer))
    assert "<img" not in html and "<a " not in html and "evil.example/a.png" in html
    good = source.model_copy(update={"url": "https://news.example/story"})
    html = MarkdownIt("commonmark").render(
        render_answer(answer.model_copy(update={"sources": [good]}))
    )
    assert html.count("<a ") == 1 and '<a href="https://news.example/story">' in html
