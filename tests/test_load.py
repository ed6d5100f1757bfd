"""50 concurrent chat requests against the running app (stub model with a set latency): each
is answered or told "busy" by the bounded queue; none fails, and the app answers afterwards."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain_core.language_models.fake import FakeListLLM

from rag.config import Settings
from tests.conftest import free_port, sample_pipeline
from ui.app import launch

NAM = "Who took over the Non-Aligned Movement chair?"


def ask(url: str) -> str:
    from gradio_client import Client

    try:
        Client(url, verbose=False).predict(question=NAM, api_name="/ask")
        return "answered"
    except Exception as error:
        text = str(error).lower()
        return "busy" if "queue" in text and "full" in text else f"failed: {error}"


def test_fifty_concurrent_questions_are_answered_or_told_busy(settings: Settings) -> None:
    stub: Any = FakeListLLM(responses=["Uganda took over the chair [1]."], sleep=0.1)
    port = free_port()
    demo = launch(sample_pipeline(settings, stub), port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            outcomes = list(pool.map(lambda _: ask(url), range(50)))
        assert ask(url) == "answered"  # and the next question works
    finally:
        demo.close()
    failed = [o for o in outcomes if o not in ("answered", "busy")]
    assert failed == []
    assert outcomes.count("answered") >= 32  # the queue holds 32 before it says busy
