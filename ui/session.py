"""Per-session state: each browser session's choices, and the pipeline they ask for."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.chain import Pipeline

BACKENDS = ["server default", "OpenAI-compatible server", "extractive (no model)"]


@dataclasses.dataclass
class Preferences:
    """One session's choices (kept in gr.State, so every browser tab has its own)."""

    passages: int
    backend: str = BACKENDS[0]
    server_url: str = ""
    server_model: str = ""
    show_retrieved: bool = False


class Sessions:
    """Builds the pipeline a session asked for; remote LLM clients are cached by URL."""

    def __init__(self, base: Pipeline) -> None:
        self.base = base
        self.remote: dict[tuple[str, str], Any] = {}

    def pipeline(self, prefs: Preferences) -> Pipeline:
        settings = self.base.settings.model_copy(
            update={"context_passages": prefs.passages,
                    "top_k": max(self.base.settings.top_k, prefs.passages)}
        )  # fmt: skip
        llm = self.base.llm
        if prefs.backend == BACKENDS[2]:
            llm = None
        elif prefs.backend == BACKENDS[1]:
            llm = self.remote_llm(prefs.server_url.strip(), prefs.server_model.strip())
        return dataclasses.replace(self.base, settings=settings, llm=llm)

    def remote_llm(self, url: str, model: str) -> Any:
        from rag.models import make_openai_llm

        if (url, model) not in self.remote:
            settings = self.base.settings.model_copy(update={"openai_base_url": url or None})
            self.remote[(url, model)] = make_openai_llm(settings, model)
        return self.remote[(url, model)]
