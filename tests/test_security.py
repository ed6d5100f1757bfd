"""Who may do what, against a real `newsrag serve --auth` (gradio_client and headless Chromium):
readers cannot change the library or read server files, no typed address ever receives the
operator's API key, and only the documented endpoints are named. A hostile client is played
by a gradio_client whose private endpoints are switched back on: the server must refuse."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings

from tests.conftest import serving_sample, write
from ui.auth import hash_password

pytestmark = pytest.mark.models
NAM = "Who took over the Non-Aligned Movement chair?"
OPERATOR_KEY = "sk-operator-secret-1234"
NAMED_KEY = "sk-lab-server-key"
ADMIN = ("ann", "admin-pass")
READER = ("rita", "reader-pass")


class Listener(ThreadingHTTPServer):
    """A stand-in OpenAI-compatible server on 127.0.0.1 that records every request's
    Authorization header and answers completions (streamed or not)."""

    seen: list[str]


class CompletionHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        assert isinstance(self.server, Listener)
        self.server.seen.append(self.headers.get("authorization", ""))
        choice = {
            "text": " Uganda took over the chair [1].",
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
        }
        payload = {
            "id": "c",
            "object": "text_completion",
            "created": 0,
            "model": "m",
            "choices": [choice],
        }
        self.send_response(200)
        if body.get("stream"):
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            self.wfile.write(f"data: {json.dumps(payload)}\n\ndata: [DONE]\n\n".encode())
            return
        payload["usage"] = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        data = json.dumps(payload).encode()
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener(("127.0.0.1", 0), CompletionHandler)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, real_embeddings: Embeddings, listener: Listener
) -> Iterator[dict[str, Any]]:
    """`newsrag serve --auth` over the sample corpus, extractive by default, with one allowed
    ingest root, an operator key and one named model server (the listener)."""
    folder = tmp_path_factory.mktemp("served")
    allowed = folder / "allowed"
    write(
        allowed / "desk" / "ferry.txt",
        "Island ferry service resumes\n\nThe island ferry "
        "resumed sailing on Tuesday after a storm kept it in port for nine days.",
    )
    secret = write(
        folder / "private" / "secret.json",
        '{"text": "The database root password is hunter2-orange. Keep it safe from everyone."}',
    )
    (allowed / "escape").symlink_to(secret.parent, target_is_directory=True)
    users = write(
        folder / "users", f"{ADMIN[0]}:{hash_password(ADMIN[1])}:admin\n{READER[0]}:{READER[1]}\n"
    )
    lab = {
        "lab": {
            "url": f"http://127.0.0.1:{listener.server_address[1]}/v1",
            "model": "m",
            "api_key": NAMED_KEY,
        }
    }
    env = {
        "NEWSRAG_OPENAI_API_KEY": OPERATOR_KEY,
        "OPENAI_API_KEY": OPERATOR_KEY,
        "NEWSRAG_INGEST_ROOTS": str(allowed),
        "NEWSRAG_LLM_SERVERS": json.dumps(lab),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    options = ["--auth", str(users), "--llm", "none"]
    with serving_sample(folder, real_embeddings, options, "/", env, basic(*ADMIN)) as url:
        yield {"url": url, "allowed": allowed, "secret": secret}


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def client_for(served: dict[str, Any], login: tuple[str, str]) -> Any:
    from gradio_client import Client

    return Client(served["url"], headers=basic(*login), verbose=False)


def hostile_call(client: Any, elem_id: str, *args: Any) -> Any:
    from gradio_client.exceptions import AppError

    """Call the private handler triggered by the component `elem_id`, as a hostile client
    would: the client library's own refusal is switched off, so only the server can say no."""
    by_id = {c["id"]: c.get("props", {}).get("elem_id") for c in client.config["components"]}
    for index, dependency in enumerate(client.config["dependencies"]):
        targets = [by_id.get(target[0]) for target in dependency.get("targets", [])]
        if elem_id in targets:
            fn_index = dependency.get("id", index)
            client.endpoints[fn_index].is_valid = True
            try:
                return client.predict(*args, fn_index=fn_index)
            except AppError as error:  # refused by the server before the handler ran
                return f"refused: {error}"
    raise AssertionError(f"no handler for #{elem_id}")


def titles(client: Any, query: str) -> list[str]:
    found = client.predict(query=query, api_name="/search")
    return [r["doc_id"] for r in found["results"]]


def test_only_the_documented_endpoints_are_named(served: dict[str, Any]) -> None:
    api = client_for(served, READER).view_api(return_format="dict", print_info=False)
    assert set(api["named_endpoints"]) == {"/ask", "/search"}
    assert not api["unnamed_endpoints"]
    reader = client_for(served, READER)
    answer = reader.predict(question=NAM, api_name="/ask")  # every optional argument defaulted
    assert "Uganda" in answer["answer"] and answer["sources"][0]["doc_id"].endswith("uganda")
    assert titles(reader, "Non-Aligned Movement chair")[0] == "world/nam-chair-uganda"


def test_a_reader_cannot_change_the_library(served: dict[str, Any]) -> None:
    reader = client_for(served, READER)
    status, _ = hostile_call(reader, "delete", "world/nam-chair-uganda", "")
    assert "readers cannot delete articles" in status
    assert "world/nam-chair-uganda" in titles(reader, "Non-Aligned Movement chair")
    status, _ = hostile_call(reader, "add-articles", None, str(served["allowed"]))
    assert "readers cannot add articles" in status
    assert "desk/ferry" not in titles(reader, "island ferry storm")


def test_server_paths_stay_inside_the_allowed_roots(served: dict[str, Any]) -> None:
    admin = client_for(served, ADMIN)
    for path in (
        served["secret"],
        served["secret"].parent,
        served["allowed"] / "escape",
        served["allowed"] / "escape" / "secret.json",
        "/etc",
    ):
        status, _ = hostile_call(admin, "add-articles", None, str(path))
        assert "not inside a folder the operator allowed" in status, path
    answer = admin.predict(question="What is the database root password?", api_name="/ask")
    assert "hunter2" not in json.dumps(answer)
    status, _ = hostile_call(admin, "add-articles", None, str(served["allowed"] / "desk"))
    assert "1 added" in status
    assert "ferry" in titles(admin, "island ferry storm")[0]
    status, _ = hostile_call(admin, "delete", "ferry", "")  # an admin's work is unchanged
    assert status == "Deleted ferry."


def test_evaluations_read_only_the_offered_question_sets(served: dict[str, Any]) -> None:
    reader = client_for(served, READER)
    for name in ("/etc/passwd", str(served["secret"]), "../../evals/x.jsonl"):
        outcome = str(hostile_call(reader, "run-evaluation", name, 1))
        assert "no question set named" in outcome or "not in the list of choices" in outcome


def test_no_typed_address_receives_the_operators_key(
    served: dict[str, Any], listener: Listener
) -> None:
    address = f"http://127.0.0.1:{listener.server_address[1]}/v1"
    listener.seen.clear()
    reader = client_for(served, READER)
    outcome = str(
        hostile_call(reader, "backend", 2, "my own server (admin)", address, "m", "", False, True)
    )
    assert "readers cannot point" in outcome or "not in the list of choices" in outcome
    hostile_call(reader, "question", NAM, [], "", "", "")
    assert listener.seen == []  # the session kept the server default (extractive here)
    hostile_call(reader, "backend", 2, "server: lab", "", "", "", False, False)
    hostile_call(reader, "question", NAM, [], "", "", "")
    assert listener.seen == [f"Bearer {NAMED_KEY}"]  # an offered server gets its own key
    admin = client_for(served, ADMIN)
    hostile_call(
        admin, "backend", 2, "my own server (admin)", address, "m", "sk-mine", False, False
    )
    hostile_call(admin, "question", NAM, [], "", "", "")
    assert listener.seen[-1] == "Bearer sk-mine"
    assert not any(OPERATOR_KEY in header for header in listener.seen)


def test_the_page_shows_each_role_what_it_may_do(served: dict[str, Any]) -> None:
    from tests.browser import chromium_page, screenshot

    for login, is_admin in ((READER, False), (ADMIN, True)):
        with chromium_page(login=login) as page:
            page.goto(served["url"])
            page.get_by_role("tab", name="Library").click()
            page.locator("#library").get_by_text("Uganda").first.wait_for()
            page.wait_for_timeout(500)  # the load event has revealed what the role may see
            assert page.locator("#add-articles").is_visible() == is_admin
            assert page.locator("#delete").is_visible() == is_admin
            screenshot(page, f"library-{'admin' if is_admin else 'reader'}.png")
            page.get_by_role("tab", name="Settings").click()
            own_server = page.get_by_label("my own server (admin)")
            assert (own_server.count() == 1) == is_admin
            assert page.get_by_label("server: lab").count() == 1
