"""newsrag as an OpenAI-compatible model: /v1/models and /v1/chat/completions (streamed or
not), and a plain /api/search, on the app's own port.

Any chat client that speaks the OpenAI API (the `openai` SDK, LangChain's ChatOpenAI, Open
WebUI, LibreChat) gets answers with their `[n]` citations and a short "Sources:" list; the
whole answer object rides along under the `newsrag` key. A refusal is a normal completion.
Errors use OpenAI's JSON shape: 400 malformed, 401 no or wrong key, 404 unknown model, 429
busy (with Retry-After)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

# FastAPI reads the handlers' annotations at run time, so Request is imported for real (this
# module is imported only when the app starts).
from fastapi import Request

from rag.answer import Answer
from ui.auth import Access
from ui.filters import parse_filters
from ui.session import DEFAULT, EXTRACTIVE, NAMED_PREFIX, Preferences, Sessions

if TYPE_CHECKING:
    from fastapi import APIRouter
    from fastapi.responses import JSONResponse

MODEL = "newsrag"
SOURCES_HEADING = "\n\nSources:\n"
RETRY_AFTER_S = 5


class ApiError(Exception):
    """An error for the client, in OpenAI's shape."""

    def __init__(self, status: int, message: str, kind: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.code = status, kind, code

    def response(self) -> JSONResponse:
        from fastapi.responses import JSONResponse

        body = {
            "error": {"message": str(self), "type": self.kind, "param": None, "code": self.code}
        }
        headers = {"Retry-After": str(RETRY_AFTER_S)} if self.status == 429 else None
        return JSONResponse(body, status_code=self.status, headers=headers)


class AnswerSlots:
    """One answer at a time (the chat's queue has its own); a few may wait, the rest are told
    to come back (429) instead of piling up."""

    def __init__(self, waiting: int = 4) -> None:
        self.slots = threading.BoundedSemaphore(1 + waiting)
        self.running = threading.Lock()

    def __enter__(self) -> None:
        if not self.slots.acquire(blocking=False):
            raise ApiError(429, "newsrag is busy; retry shortly", "rate_limit_error", "busy")
        self.running.acquire()

    def __exit__(self, *exc: object) -> None:
        self.running.release()
        self.slots.release()


def model_ids(sessions: Sessions) -> dict[str, Preferences]:
    """Each model id a client may name, with the session choices it stands for."""
    passages = sessions.base.settings.context_passages
    ids = {
        MODEL: Preferences(passages, DEFAULT),
        f"{MODEL}:extractive": Preferences(passages, EXTRACTIVE),
    }
    for name in sorted(sessions.base.settings.llm_servers):
        ids[f"{MODEL}:{name}"] = Preferences(passages, NAMED_PREFIX + name)
    return ids


def text_of(content: Any) -> str:
    """A message's text: a string, or OpenAI's list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    raise ApiError(400, "each message needs a text 'content'", "invalid_request_error")


def conversation(messages: Any) -> tuple[str, list[dict[str, str]]]:
    """The question (the last user message) and the earlier turns; our own "Sources:" lists
    are cut from earlier answers so that a follow-up reads like one in the chat."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list", "invalid_request_error")
    turns = []
    for message in messages:
        if not isinstance(message, dict) or "role" not in message:
            raise ApiError(400, "each message needs a 'role'", "invalid_request_error")
        if message["role"] in ("user", "assistant"):
            text = text_of(message.get("content"))
            turns.append({"role": message["role"], "content": text.split(SOURCES_HEADING)[0]})
    if not turns or turns[-1]["role"] != "user" or not turns[-1]["content"].strip():
        raise ApiError(400, "the last message must be the user's question", "invalid_request_error")
    return turns[-1]["content"], turns[:-1]


def content_of(answer: Answer) -> str:
    """The answer with its [n] markers, then the cited sources, one a line."""
    if answer.refused:
        return answer.answer
    lines = []
    for source in (s for s in answer.sources if s.n in answer.cited):
        parts = [source.title or source.doc_id, source.source, source.published or "", source.url]
        lines.append(f"[{source.n}] " + " · ".join(p for p in parts if p))
    return answer.answer + (SOURCES_HEADING + "\n".join(lines) if lines else "")


def completion(answer: Answer, model: str, answer_id: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": content_of(answer)}
    return {
        "id": answer_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "newsrag": answer.model_dump(),
    }


def chunk(answer_id: str, model: str, delta: dict[str, str], done: bool = False) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": "stop" if done else None}
    return {
        "id": answer_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
    }


def event(body: dict[str, Any]) -> str:
    return f"data: {json.dumps(body)}\n\n"


def streamed(answer: Answer, model: str, answer_id: str) -> Iterator[str]:
    """Server-sent events: the verified answer (verification may rewrite a draft, and a stream
    cannot take text back), then the final chunk carrying the answer object, then [DONE]."""
    yield event(chunk(answer_id, model, {"role": "assistant", "content": ""}))
    text = content_of(answer)
    for start in range(0, len(text), 64):
        yield event(chunk(answer_id, model, {"content": text[start : start + 64]}))
    yield event(chunk(answer_id, model, {}, done=True) | {"newsrag": answer.model_dump()})
    yield "data: [DONE]\n\n"


def openai_router(sessions: Sessions, access: Access, gate: AnswerSlots | None = None) -> APIRouter:
    """The routes; each checks its caller (API key or login) before anything else."""
    from fastapi import APIRouter

    router = APIRouter()
    gate = gate or AnswerSlots()
    handlers = Handlers(sessions, access, gate)
    router.add_api_route("/v1/models", handlers.models, methods=["GET"])
    router.add_api_route("/v1/chat/completions", handlers.chat, methods=["POST"])
    router.add_api_route("/api/search", handlers.search, methods=["GET"])
    return router


class Handlers:
    def __init__(self, sessions: Sessions, access: Access, gate: AnswerSlots) -> None:
        self.sessions, self.access, self.gate = sessions, access, gate

    def allowed(self, request: Request) -> None:
        if self.access.api_role(request.headers.get("authorization", "")) is None:
            raise ApiError(
                401,
                "a valid API key is required (Authorization: Bearer KEY)",
                "invalid_request_error",
                "invalid_api_key",
            )

    def models(self, request: Request) -> Any:
        try:
            self.allowed(request)
        except ApiError as error:
            return error.response()
        data = [
            {"id": name, "object": "model", "created": 0, "owned_by": "newsrag"}
            for name in model_ids(self.sessions)
        ]
        return {"object": "list", "data": data}

    async def chat(self, request: Request) -> Any:
        from starlette.concurrency import run_in_threadpool

        try:
            self.allowed(request)
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError
        except ApiError as error:
            return error.response()
        except ValueError:
            return ApiError(
                400, "the body must be a JSON object", "invalid_request_error"
            ).response()
        try:
            answer, model = await run_in_threadpool(self.answer, body)
        except ApiError as error:
            return error.response()
        answer_id = f"chatcmpl-{uuid.uuid4().hex}"
        if body.get("stream"):
            from fastapi.responses import StreamingResponse

            return StreamingResponse(
                streamed(answer, model, answer_id), media_type="text/event-stream"
            )
        return completion(answer, model, answer_id)

    def answer(self, body: dict[str, Any]) -> tuple[Answer, str]:
        from rag.followup import validate_history
        from ui.app import answer_stream

        model = str(body.get("model") or MODEL)
        prefs = model_ids(self.sessions).get(model)
        if prefs is None:
            raise ApiError(
                404,
                f"the model '{model}' does not exist; GET /v1/models lists them",
                "invalid_request_error",
                "model_not_found",
            )
        question, history = conversation(body.get("messages"))
        options = body.get("newsrag") or {}
        try:
            filters = parse_filters(
                options.get("since"), options.get("until"), options.get("source")
            )
        except (ValueError, AttributeError) as error:
            raise ApiError(400, str(error), "invalid_request_error") from None
        with self.gate:
            turns = validate_history(history)
            answer = answer_stream(self.sessions, prefs, question, turns, filters).answer()
        return answer, model

    def search(
        self,
        request: Request,
        q: str = "",
        k: int = 0,
        since: str = "",
        until: str = "",
        source: str = "",
    ) -> Any:
        try:
            self.allowed(request)
            if not q.strip():
                raise ApiError(400, "the query 'q' is empty", "invalid_request_error")
            filters = parse_filters(since, until, source)
        except ApiError as error:
            return error.response()
        except ValueError as error:
            return ApiError(400, str(error), "invalid_request_error").response()
        found = self.sessions.base.search(q, max(0, min(k, 50)) or None, filters)
        return {"query": q, "results": [s.model_dump() for s in found]}
