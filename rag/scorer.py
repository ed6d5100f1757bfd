"""A small base language model as a SCORER of candidate answers, not a writer.

Small models choose among options far better than they write. Raw log-probability favours
short, frequent strings, so each candidate's score is calibrated against its prior:

    log P(" cand" | Passage, Question, "Answer:") - log P(" cand" | Question, "Answer:")

The shared prompt prefix is evaluated once per sentence; each candidate then costs a decode
of its own few tokens (the KV cache is rewound to the prefix between candidates).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_WITH = "Passage: {sentence}\nQuestion: {question}\nAnswer:"
_WITHOUT = "Question: {question}\nAnswer:"


class GemmaScorer:
    """CandidateScorer (rag.reader) over a llama-cpp-python model built with logits_all=False:
    logits are asked for only at the positions a candidate needs."""

    def __init__(self, llm: Any, max_passage_chars: int = 900, max_tokens: int = 3) -> None:
        self.llm = llm
        self.max_passage_chars = max_passage_chars
        # Each extra candidate token costs a pass through the 262k-word output layer; the
        # first few tokens tell candidates apart ("£4.4m" and "£5m" differ at the second).
        self.max_tokens = max_tokens

    @classmethod
    def bundled(cls, threads: int = 1) -> GemmaScorer:
        """One thread by default: on a shared 2-core machine two threads spin-wait against
        other processes and were 3-10x slower in our measurements."""
        from llama_cpp import Llama

        from rag.models import bundled_gemma_path

        llm = Llama(model_path=bundled_gemma_path(), n_ctx=1024, n_threads=threads, verbose=False)
        return cls(llm)

    def score(self, question: str, sentence: str, candidates: Sequence[str]) -> list[float]:
        if not candidates:
            return []
        sentence = sentence[: self.max_passage_chars]
        given = self._logprobs(_WITH.format(sentence=sentence, question=question), candidates)
        prior = self._logprobs(_WITHOUT.format(question=question), candidates)
        return [g - p for g, p in zip(given, prior, strict=True)]

    def yes_no(self, question: str, sentence: str) -> float:
        given = self._logprobs(_WITH.format(sentence=sentence, question=question), ["yes", "no"])
        prior = self._logprobs(_WITHOUT.format(question=question), ["yes", "no"])
        return (given[0] - given[1]) - (prior[0] - prior[1])

    def _logprobs(self, prompt: str, candidates: Sequence[str]) -> list[float]:
        """Summed log-probability of " {candidate}" after the prompt, per candidate."""
        prefix = self.llm.tokenize(prompt.encode(), add_bos=True)
        last = self._eval(prefix, want_all=False)[-1]
        out = []
        for cand in candidates:
            tokens = self.llm.tokenize(f" {cand}".encode(), add_bos=False, special=False)
            tokens = tokens[: self.max_tokens]
            self.llm.n_tokens = len(prefix)  # rewind to the shared prefix
            rows = [last]
            if len(tokens) > 1:
                rows.extend(self._eval(tokens[:-1], want_all=True))
            out.append(sum(_log_softmax(row)[tok] for row, tok in zip(rows, tokens, strict=True)))
        return out

    def _eval(self, tokens: list[int], want_all: bool) -> list[np.ndarray]:
        """Decode tokens after the kept prefix (reusing the common part of what the cache
        holds); return logits rows: every position when want_all, else the last."""
        llm = self.llm
        keep = _common_prefix(list(llm.input_ids[: llm.n_tokens]), tokens) if not want_all else 0
        keep = min(keep, len(tokens) - 1)
        if keep > 0 and not want_all:
            llm.n_tokens = keep
            tokens = tokens[keep:]
        elif not want_all:
            llm.n_tokens = 0
        llm._ctx.kv_cache_seq_rm(-1, llm.n_tokens, -1)
        llm._batch.set_batch(batch=tokens, n_past=llm.n_tokens, logits_all=want_all)
        llm._ctx.decode(llm._batch)
        llm.input_ids[llm.n_tokens : llm.n_tokens + len(tokens)] = tokens
        llm.n_tokens += len(tokens)
        n_rows = len(tokens) if want_all else 1
        flat = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_rows * llm.n_vocab(),))
        return [row.copy() for row in flat.reshape(n_rows, llm.n_vocab())]


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _log_softmax(row: np.ndarray) -> np.ndarray:
    shifted = row - row.max()
    result: np.ndarray = shifted - np.log(np.exp(shifted).sum())
    return result
