"""newsrag as an OpenAI-compatible model, against a real `newsrag serve --api-keys` on
127.0.0.1 with the bundled models: the official `openai` client and LangChain's ChatOpenAI get
cited answers (plain and streamed), follow-ups through `messages`, refusals, and errors in
OpenAI's shape. The busy answer (429) is tested in-process with a slow stub model."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake import FakeListLLM

from rag.config import Settings
from tests.conftest import free_port, sample_pipeline, serving_sample, write
from ui.app import launch
from ui.openai_api import AnswerSlots

KEY = "sk-newsrag-test-key"
NAM = "Who took over the NAM chair?"


@pytest.fixture(scope="module")
def base_url(
    tmp_path_factory: pytest.TempPathFactory, real_embeddings: Embeddings
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("openai-api")
    keys = write(folder / "keys", f"# one key a line\n{KEY}\n")
    headers = {"Authorization": f"Bearer {KEY}"}
    options = ["--api-keys", str(keys)]
    with serving_sample(folder, real_embeddings, options, "/v1/models", None, headers) as url:
        yield url + "v1"


def client(base_url: str) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=base_url, api_key=KEY, max_retries=0)


pytestmark = pytest.mark.models


def test_the_openai_client_lists_models_and_gets_cited_answers(base_url: str) -> None:
    openai = client(base_url)
    ids = [m.id for m in openai.models.list()]
    assert ids[0] == "newsrag" and "newsrag:extractive" in ids
    reply = openai.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": NAM}]
    )
    content = reply.choices[0].message.content or ""
    assert "Uganda" in content and "[1]" in content and "\n\nSources:\n[1] " in content
    extra = reply.model_extra or {}
    assert extra["newsrag"]["sources"][0]["doc_id"] == "world/nam-chair-uganda"
    assert not extra["newsrag"]["refused"] and extra["newsrag"]["grounded"]


def test_a_streamed_answer_ends_with_the_answer_object(base_url: str) -> None:
    stream = client(base_url).chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": NAM}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Uganda" in text and "Sources:" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["newsrag"]["cited"] == [1]


def test_a_follow_up_reads_the_conversation(base_url: str) -> None:
    openai = client(base_url)
    first = openai.chat.completions.create(
        model="newsrag:extractive", messages=[{"role": "user", "content": NAM}]
    )
    messages = [
        {"role": "user", "content": NAM},
        {"role": "assistant", "content": first.choices[0].message.content or ""},
        {"role": "user", "content": "And which country held it before?"},
    ]
    reply = openai.chat.completions.create(model="newsrag:extractive", messages=messages)
    answer = (reply.model_extra or {})["newsrag"]
    assert NAM in answer["search_query"] and "Sources:" not in answer["search_query"]
    assert answer["sources"][0]["doc_id"] == "world/nam-chair-uganda"
    assert "Azerbaijan" in (reply.choices[0].message.content or "")


def test_langchain_chat_openai_gets_the_same_answer(base_url: str) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=base_url, api_key=KEY, model="newsrag", max_retries=0)  # type: ignore[arg-type]
    assert "Uganda" in str(chat.invoke(NAM).content)


def test_an_off_corpus_question_is_refused_as_a_normal_completion(base_url: str) -> None:
    reply = client(base_url).chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": "Who won the 2030 World Cup?"}]
    )
    answer = (reply.model_extra or {})["newsrag"]
    assert answer["refused"] and reply.choices[0].message.content == answer["answer"]
    assert reply.choices[0].finish_reason == "stop"


def test_errors_come_in_openais_shape(base_url: str) -> None:
    post = f"{base_url}/chat/completions"
    body = {"model": "newsrag", "messages": [{"role": "user", "content": NAM}]}
    for headers in ({}, {"Authorization": "Bearer wrong-key-123"}):
        response = httpx.post(post, json=body, headers=headers, timeout=60)
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(f"{base_url}/models", timeout=10).status_code == 401
    auth = {"Authorization": f"Bearer {KEY}"}
    bad = httpx.post(post, content=b"{not json", headers=auth, timeout=60)
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    unknown = httpx.post(post, json={**body, "model": "gpt-9"}, headers=auth, timeout=60)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    huge = {**body, "messages": [{"role": "user", "content": "Who took over? " * 7000}]}
    assert httpx.post(post, json=huge, headers=auth, timeout=120).status_code == 200
    query = {"q": "Non-Aligned Movement", "k": 2}
    search = httpx.get(
        f"{base_url.removesuffix('/v1')}/api/search", params=query, headers=auth, timeout=60
    )
    assert search.json()["results"][0]["doc_id"] == "world/nam-chair-uganda"


def test_a_full_queue_answers_429_with_retry_after(settings: Settings) -> None:
    slow: Any = FakeListLLM(responses=["Uganda took over the chair [1]."], sleep=0.3)
    port = free_port()
    demo = launch(
        sample_pipeline(settings, slow),
        port=port,
        api_gate=AnswerSlots(waiting=1),
        prevent_thread_lock=True,
        quiet=True,
    )
    body = {"model": "newsrag", "messages": [{"role": "user", "content": NAM}]}
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            replies = list(pool.map(lambda _: httpx.post(url, json=body, timeout=60), range(6)))
    finally:
        demo.close()
    codes = sorted(r.status_code for r in replies)
    assert codes.count(200) >= 2 and 429 in codes and set(codes) <= {200, 429}
    busy = next(r for r in replies if r.status_code == 429)
    assert busy.headers["retry-after"] == "5" and busy.json()["error"]["code"] == "busy"
