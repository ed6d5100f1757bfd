"""Follow-up questions: turn 'And how many of them were convicted?' into a standalone query.

Deterministic, so it works with the bundled base model: a question that leans on the earlier
turns (a pronoun, a leading 'and', or very few content words) is searched together with the
previous question and answer. The question shown to the model stays as the user typed it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypedDict


class Turn(TypedDict):
    role: str
    content: str


_REFERRING = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|that|those|this|these|he|him|his|she|her|hers|"
    r"there|then|such|the same|former|latter)\b",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(r"^\s*(and|but|also|so|what about|how about|then)\b", re.IGNORECASE)
_CONTENT_WORD = re.compile(r"\b[A-Za-z0-9][\w'-]{3,}\b")


def needs_context(question: str) -> bool:
    content_words = _CONTENT_WORD.findall(question)
    return bool(_REFERRING.search(question) or _CONTINUATION.match(question)) or (
        len(content_words) < 3
    )


def standalone_query(question: str, history: Sequence[Turn] | None) -> str:
    """The text to retrieve with: the question, plus the last exchange when it refers back."""
    if not history or not needs_context(question):
        return question
    last_user = next((t["content"] for t in reversed(history) if t["role"] == "user"), "")
    last_answer = next((t["content"] for t in reversed(history) if t["role"] == "assistant"), "")
    return " ".join(part for part in (last_user, last_answer, question) if part)


def validate_history(raw: object) -> list[Turn]:
    """Accept `[{"role": "user"|"assistant", "content": str}, ...]`; say clearly what is wrong."""
    if not isinstance(raw, list):
        raise ValueError('history must be a JSON list of {"role", "content"} objects')
    turns: list[Turn] = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant"):
            raise ValueError(f"history turn {number} needs role 'user' or 'assistant'")
        if not isinstance(item.get("content"), str):
            raise ValueError(f"history turn {number} needs a text 'content'")
        turns.append(Turn(role=item["role"], content=item["content"]))
    return turns
