"""The chat app over HTTP with gradio_client (scripted model, real Chroma): answers with
sources, follow-ups, refusals, filters, login on every route, and what is rendered."""

from __future__ import annotations

import base64
import io
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake import FakeListLLM

from rag.answer import Answer, Source
from rag.config import Settings
from tests.conftest import free_port, sample_pipeline
from ui.app import launch
from ui.library import unpack_uploads
from ui.render import render_answer, sources_html

NAM = "Who took over the Non-Aligned Movement chair?"


def start(settings: Settings, auth: str | None = None) -> tuple[Any, str]:
    llm = FakeListLLM(responses=["Uganda took over the chair [1]."] * 50)
    port = free_port()
    demo = launch(
        sample_pipeline(settings, llm),
        host="127.0.0.1",
        port=port,
        auth=auth,
        prevent_thread_lock=True,
        quiet=True,
    )
    return demo, f"http://127.0.0.1:{port}/"


@pytest.fixture
def client(settings: Settings) -> Iterator[Any]:
    from gradio_client import Client

    demo, url = start(settings)
    try:
        yield Client(url, verbose=False)
    finally:
        demo.close()


def test_a_question_is_answered_with_its_sources(client: Any) -> None:
    answer = client.predict(question=NAM, api_name="/ask")
    assert answer["answer"] == "Uganda took over the chair [1]." and not answer["refused"]
    assert answer["sources"][0]["doc_id"] == "world/nam-chair-uganda" and answer["cited"] == [1]
    assert answer["sources"][0]["evidence"]


def test_a_follow_up_keeps_the_thread(client: Any) -> None:
    history = [
        {"role": "user", "content": NAM},
        {"role": "assistant", "content": "Uganda took over the chair [1]."},
    ]
    answer = client.predict(
        question="And until when will it hold it?", history=history, api_name="/ask"
    )
    assert NAM in answer["search_query"]
    assert answer["sources"][0]["doc_id"] == "world/nam-chair-uganda"


def test_a_refusal_is_plain(client: Any) -> None:
    answer = client.predict(question="Who won the 2030 World Cup?", api_name="/ask")
    assert answer["refused"] and answer["cited"] == []


def test_filters_apply_to_retrieval(client: Any) -> None:
    before = client.predict(question=NAM, until="2023-12-31", api_name="/ask")
    assert all(s["doc_id"] != "world/nam-chair-uganda" for s in before["sources"])
    other_desk = client.predict(question=NAM, source="no such desk", api_name="/ask")
    assert other_desk["sources"] == [] and other_desk["refused"]
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="wants a date like 2024-01-31"):
        client.predict(question=NAM, since="last tuesday", api_name="/ask")
    with pytest.raises(AppError, match="the question is empty"):
        client.predict(question="   ", api_name="/ask")
    assert client.predict(question=NAM, api_name="/ask")["answer"]  # and the next one works


ROUTES = [
    ("GET", "/"),
    ("GET", "/config"),
    ("GET", "/gradio_api/info"),
    ("GET", "/theme.css"),
    ("GET", "/manifest.json"),
    ("POST", "/gradio_api/queue/join"),
    ("POST", "/gradio_api/upload"),
    ("POST", "/gradio_api/call/ask"),
    ("GET", "/gradio_api/file=/etc/hostname"),
    ("GET", "/gradio_api/queue/data"),
    ("GET", "/login"),
    ("GET", "/monitoring"),
    ("GET", "/anything/else"),
]


def status(url: str, method: str, headers: dict[str, str] | None = None) -> int:
    data = b"{}" if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_with_auth_rejects_every_route_without_the_login(settings: Settings) -> None:
    from gradio_client import Client

    demo, url = start(settings, auth="a:b")
    try:
        for method, route in ROUTES:
            assert status(url.rstrip("/") + route, method) == 401, route
        wrong = {"Authorization": "Basic " + base64.b64encode(b"a:wrong").decode()}
        assert status(url, "GET", wrong) == 401
        login = {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()}
        assert status(url, "GET", login) == 200
        answer = Client(url, headers=login, verbose=False).predict(question=NAM, api_name="/ask")
        assert answer["sources"][0]["doc_id"] == "world/nam-chair-uganda"
    finally:
        demo.close()


def test_auth_file_roles_and_hashed_passwords(tmp_path: Path) -> None:
    from ui.auth import Access, User, hash_password, read_auth

    users = tmp_path / "users"
    hashed = hash_password("s3cret")
    users.write_text(f"ann:secret\nbob:pa:ss\ncid:{hashed}:admin\ndee:x:reader\n")
    assert read_auth(str(users)) == [
        User("ann", "secret", "reader"),
        User("bob", "pa:ss", "reader"),
        User("cid", hashed, "admin"),
        User("dee", "x", "reader"),
    ]
    assert ":" not in hashed and "s3cret" not in hashed
    access = Access(read_auth(str(users)))
    login = {"authorization": "Basic " + base64.b64encode(b"cid:s3cret").decode()}
    assert access.role(type("Request", (), {"headers": login})()) == "admin"
    wrong = {"authorization": "Basic " + base64.b64encode(b"cid:" + hashed.encode()).decode()}
    assert access.user_for(wrong["authorization"]) is None  # the hash is no password
    assert access.user_for("Basic " + base64.b64encode(b"bob:pa:ss").decode()) == User(
        "bob", "pa:ss", "reader"
    )
    # /v1 and /api: keys when configured, else the login when logins are, else open
    assert access.api_role("") is None and access.api_role(login["authorization"]) == "admin"
    keyed = Access(None, api_keys={"sk-key-one-1": "reader"})
    assert keyed.api_role("Bearer sk-key-one-1") == "reader" and keyed.api_role("") is None
    assert keyed.api_role("Bearer sk-key-one-2") is None
    assert Access(None).api_role("") == "admin"
    assert Access(None, "127.0.0.1").role(None) == "admin"  # the local app, as before
    assert Access(None, "0.0.0.0").role(None) == "reader"
    with pytest.raises(ValueError, match="USER:PASS"):
        read_auth("nopassword")


def test_hash_password_command_prints_an_auth_line() -> None:
    from typer.testing import CliRunner

    from ui.auth import password_matches, read_auth
    from ui.cli import app

    result = CliRunner().invoke(app, ["hash-password", "ann", "--role", "admin"], input="pw\n")
    assert result.exit_code == 0, result.output
    (user,) = read_auth(result.output.strip()) or []
    assert user.name == "ann" and user.role == "admin" and password_matches("pw", user.secret)
    assert "pw" not in result.output.replace(user.secret, "")


def test_sources_panel_highlights_evidence_and_escapes_article_text() -> None:
    source = Source(
        n=1,
        doc_id="x",
        title="<b>Title</b>",
        published="2024-01-20",
        source="Desk",
        url="javascript:alert(1)",
        snippet="Intro. <img src=x onerror=alert(1)> Uganda took over.",
        score=0.9,
        evidence=["Uganda took over."],
    )
    answer = Answer(
        question="q",
        answer="See [this](http://evil.example)",
        refused=False,
        sources=[source],
        cited=[1],
    )
    panel = sources_html(answer)
    assert "<mark>Uganda took over.</mark>" in panel
    assert "<img" not in panel and "&lt;img" in panel and "<b>Title" not in panel
    assert "javascript:" not in panel and "<a " not in panel
    good = source.model_copy(
        update={
            "url": "https://news.example/story",
            "also_urls": ["https://copy.example/s", "javascript:x"],
        }
    )
    panel = sources_html(answer.model_copy(update={"sources": [good]}))
    assert '<a href="https://news.example/story"' in panel
    assert '<a href="https://copy.example/s"' in panel and "javascript:" not in panel
    from markdown_it import MarkdownIt

    assert "<a " not in MarkdownIt("commonmark").render(render_answer(answer))
    refused = answer.model_copy(update={"refused": True, "answer": "I couldn't find this."})
    assert "Library tab" in render_answer(refused) and "<mark>" not in sources_html(refused)


def test_uploaded_zips_are_unpacked_safely(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("desk/one.txt", "Title\n\nBody text of the first article.")
        bundle.writestr("../escape.txt", "outside")
        bundle.writestr("big.md", "x" * 5000)
        bundle.writestr("photo.png", b"\x89PNG")
    archive = tmp_path / "upload.zip"
    archive.write_bytes(buffer.getvalue())
    notes = tmp_path / "notes.exe"
    notes.write_bytes(b"MZ")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    kept, problems = unpack_uploads([str(archive), str(notes), str(broken)], tmp_path / "up", 1000)
    assert kept == [tmp_path / "up" / "upload" / "desk" / "one.txt"]
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "up" / "escape.txt").exists()
    joined = " ".join(problems)
    assert "unsafe path" in joined and "larger than 1000" in joined
    assert "notes.exe: not an article file" in joined and "broken.zip: not a readable zip" in joined


def test_a_zip_bomb_is_refused_whole_and_leaves_nothing(tmp_path: Path) -> None:
    from ui.library import MAX_MEMBERS

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("a.txt", "Title\n\nFirst.")
        for n in range(3):
            bundle.writestr(f"big{n}.txt", "x" * 400_000)  # compresses to ~1 kB each
    folder = tmp_path / "up"
    kept, problems = unpack_uploads([str(bomb)], folder, 1_000_000, max_total=1_000_000)
    assert kept == [] and "over the 1 MB an upload may unpack to" in problems[0]
    assert [p.name for p in folder.iterdir()] == []  # nothing half-written
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as bundle:
        for n in range(MAX_MEMBERS + 1):
            bundle.writestr(f"{n}.txt", "T\n\nx")
    kept, problems = unpack_uploads([str(many)], folder, 1000)
    assert kept == [] and "more than the 5,000 an upload may hold" in problems[0]
    assert [p.name for p in folder.iterdir()] == []


def test_the_chat_keeps_its_turns_as_plain_text_for_follow_ups(client: Any) -> None:
    by_id = {c["id"]: c.get("props", {}).get("elem_id") for c in client.config["components"]}
    index = next(
        i
        for i, d in enumerate(client.config["dependencies"])
        if any(by_id.get(t[0]) == "question" for t in d.get("targets", []))
    )
    client.endpoints[index].is_valid = True  # the page's own (private) chat handler
    _, first, _ = client.predict(NAM, [], "", "", "", fn_index=index)
    _, second, panel = client.predict(
        "And until when will it hold it?", first, "", "", "", fn_index=index
    )
    assert len(second) == 4 and "world/nam-chair-uganda" in panel
    assert "Uganda" in str(second[-1]["content"])
