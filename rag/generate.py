"""Stage: generation. Stream the model's continuation of the prompt, then clean it up into one
line whose citations and links point only at the passages it was given."""

from __future__ import annotations

import re
from collections.abc import Iterator

from langchain_core.language_models.llms import BaseLLM

from rag.passage import Passage
from rag.prompt import format_passages, generation_chain
from rag.question import Question
from rag.text import CITATION, words


def stream_draft(llm: BaseLLM, question: Question, context: list[Passage]) -> Iterator[str]:
    """The model's text as it is generated (nothing checked yet)."""
    chain_input = {"passages": format_passages(context), "question": question.text}
    try:
        yield from generation_chain(llm).stream(chain_input)
    except ValueError as error:
        # a model that stops before its first token (a stop sequence straight away) streams
        # nothing, and LangChain raises; that is an empty draft, which verification handles
        if "No generation chunks" not in str(error):
            raise


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]*)\)")
_BARE_URL = re.compile(r"(?:https?|ftp|data|javascript):[^\s)\]]+|www\.[^\s)\]]+", re.IGNORECASE)


def best_passage(text: str, passages: list[Passage]) -> int:
    """1-based number of the passage sharing the most words with `text`."""
    overlaps = [len(words(text) & words(p.text)) for p in passages]
    return overlaps.index(max(overlaps)) + 1


def clean_answer(raw: str, passages: list[Passage]) -> tuple[str, list[int]]:
    """One line, no images or links, citations limited to the passages given; adds one if none."""
    text = raw.strip().split("\n", 1)[0].strip()  # remote models may run past one line
    text = _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", text))
    allowed = {p.url for p in passages if p.url}
    text = _BARE_URL.sub(lambda m: m.group() if m.group() in allowed else "", text)
    valid = range(1, len(passages) + 1)
    cited = [int(n) for n in CITATION.findall(text) if int(n) in valid]
    text = CITATION.sub(lambda m: m.group() if int(m.group(1)) in valid else "", text).strip()
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)  # "In 1978 . [1]" -> "In 1978. [1]"
    if text and not cited and passages:
        cited = [best_passage(text, passages)]
        text = f"{text.rstrip()} [{cited[0]}]"
    return text, sorted(set(cited))
