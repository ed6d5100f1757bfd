"""LangChain LLM over llama.cpp for the bundled base model (completion-style, not chat)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.llms import LLM, BaseLLM
from langchain_core.outputs import GenerationChunk
from pydantic import PrivateAttr

CompletionLLM = BaseLLM  # what make_llm returns: LlamaCppLLM, langchain-openai OpenAI, fakes

# Tokens made only of white space. A base model starts about half its answers with a newline;
# with a newline stop sequence that returns nothing, so such tokens are banned as first token.
_WHITESPACE_STRINGS = ["\n", "\n\n", "\n\n\n", " ", "  ", "   ", "\t", " \n", "\n ", "\r\n"]


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """llama.cpp prints its load log to fd 2 even with verbose=False; hide it."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class LlamaCppLLM(LLM):
    """Greedy, deterministic completions from a GGUF model; safe to share between threads."""

    model_path: str
    n_threads: int = 2
    n_ctx: int = 2048
    max_tokens: int = 80
    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _whitespace_ids: list[int] = PrivateAttr(default_factory=list)

    @classmethod
    def from_path(cls, path: str, threads: int = 2) -> LlamaCppLLM:
        llm = cls(model_path=path, n_threads=threads)
        llm.load()
        return llm

    def load(self) -> None:
        from llama_cpp import Llama

        with quiet_stderr():
            self._llama = Llama(
                model_path=self.model_path,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_batch=512,
                seed=0,
                verbose=False,
            )
        ids: set[int] = set()
        for text in _WHITESPACE_STRINGS:
            tokens = self._llama.tokenize(text.encode(), add_bos=False, special=False)
            if len(tokens) == 1:
                ids.add(tokens[0])
        self._whitespace_ids = sorted(ids)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx}

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode(), add_bos=True, special=False))

    def _first_token_filter(self) -> Any:
        import numpy as np
        from llama_cpp import LogitsProcessorList

        state = {"first": True}
        banned = np.array(self._whitespace_ids, dtype=np.intc)

        def ban_leading_whitespace(input_ids: Any, scores: Any) -> Any:
            if state["first"]:
                state["first"] = False
                scores[banned] = -np.inf
            return scores

        return LogitsProcessorList([ban_leading_whitespace])

    def stream_text(self, prompt: str, stop: list[str] | None = None) -> Iterator[str]:
        with self._lock:
            stream = self._llama.create_completion(
                prompt,
                max_tokens=self.max_tokens,
                temperature=0.0,
                top_k=1,
                stop=stop or [],
                logits_processor=self._first_token_filter(),
                stream=True,
            )
            for part in stream:
                text = part["choices"][0]["text"]
                if text:
                    yield text

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        return "".join(chunk.text for chunk in self._stream(prompt, stop, run_manager))

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        for text in self.stream_text(prompt, stop):
            chunk = GenerationChunk(text=text)
            if run_manager:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk
