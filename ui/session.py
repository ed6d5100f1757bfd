"""Per-session state: each browser session's choices, and the pipeline they ask for.

A session answers with the server's default model, with no model (extractive), or with one of
the model servers the operator offers by name (NEWSRAG_LLM_SERVERS; their URLs and keys stay
on the server). Only an admin may point a session at a server of their own, and that server
gets the key typed for the session, never the operator's."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ui.auth import Role

if TYPE_CHECKING:
    from rag.chain import Pipeline

DEFAULT = "server default"
EXTRACTIVE = "extractive (no model)"
CUSTOM = "my own server (admin)"
NAMED_PREFIX = "server: "


@dataclasses.dataclass
class Preferences:
    """One session's choices (kept in gr.State on the server, so every browser tab has its own
    and no client can write them except through the checked settings handler)."""

    passages: int
    backend: str = DEFAULT
    server_url: str = ""
    server_model: str = ""
    session_key: str = dataclasses.field(default="", repr=False)
    show_retrieved: bool = False
    short_answers: bool = True  # the reader's short answer when clear (Settings.reader)


def backend_choices(pipeline: Pipeline, role: Role) -> list[str]:
    named = [NAMED_PREFIX + name for name in sorted(pipeline.settings.llm_servers)]
    return [DEFAULT, EXTRACTIVE, *named, *([CUSTOM] if role == "admin" else [])]


def checked(prefs: Preferences, pipeline: Pipeline, role: Role) -> Preferences:
    """The preferences if this role may hold them; PermissionError/ValueError says why not."""
    if prefs.backend not in backend_choices(pipeline, "admin"):
        raise ValueError(f"no model server named '{prefs.backend}' is offered here")
    if prefs.backend == CUSTOM:
        if role != "admin":
            raise PermissionError("readers cannot point the app at a server of their own")
        if prefs.server_url and not prefs.server_url.startswith(("http://", "https://")):
            raise ValueError("the server URL must start with http:// or https://")
    return prefs


class Sessions:
    """Builds the pipeline a session asked for; remote LLM clients are cached per server."""

    def __init__(self, base: Pipeline) -> None:
        self.base = base
        self.remote: dict[tuple[str, str, str], Any] = {}

    def pipeline(self, prefs: Preferences, role: Role = "reader") -> Pipeline:
        checked(prefs, self.base, role)
        settings = self.base.settings.model_copy(
            update={
                "context_passages": prefs.passages,
                "top_k": max(self.base.settings.top_k, prefs.passages),
                "reader": self.base.settings.reader and prefs.short_answers,
            }
        )
        llm = self.base.llm
        if prefs.backend == EXTRACTIVE:
            llm = None
        elif prefs.backend.startswith(NAMED_PREFIX):
            server = self.base.settings.llm_servers[prefs.backend.removeprefix(NAMED_PREFIX)]
            key = server.api_key.get_secret_value() if server.api_key else None
            llm = self.remote_llm(server.url, server.model, key)
        elif prefs.backend == CUSTOM:
            llm = self.remote_llm(
                prefs.server_url.strip(),
                prefs.server_model.strip(),
                prefs.session_key.strip() or None,
            )
        return dataclasses.replace(self.base, settings=settings, llm=llm)

    def remote_llm(self, url: str, model: str, key: str | None) -> Any:
        from rag.models import ConfigError, make_remote_llm

        if not url:
            raise ConfigError("type the server's URL in Settings, e.g. http://127.0.0.1:8080/v1")
        cache_key = (url, model, key or "")
        if cache_key not in self.remote:
            self.remote[cache_key] = make_remote_llm(self.base.settings, url, model, key)
        return self.remote[cache_key]
