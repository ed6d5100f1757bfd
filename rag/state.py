"""One question's state, filled stage by stage, and the Response that streams it: iterate it
for the model's tokens, then ask it for the verified answer (like `llm`'s Response)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rag.answer import Answer
from rag.gate import Gate
from rag.hop import Hop
from rag.passage import Passage
from rag.policy import Choice
from rag.question import Question
from rag.reader import Reading
from rag.verify import Verdict


@dataclass
class State:
    """Each stage writes its own fields and reads those of the stages before it."""

    question: Question
    k: int  # how many ranked passages become the answer's sources
    ranked: list[Passage] = field(default_factory=list)  # retrieval, best first (may be > k)
    retrieve_s: float = 0.0
    hop: Hop | None = None  # the second search, for a question naming its subject by description
    selected: list[Passage] = field(default_factory=list)  # the best few, as retrieved
    gate: Gate = field(default_factory=Gate)
    context: list[Passage] = field(default_factory=list)  # exactly what the model is shown
    reading: Reading | None = None  # the reader's pick from the context, with its features
    choice: Choice | None = None  # the answer policy's pick and its probabilities
    draft: str | None = None  # the model's text, unchecked; None: no model, or gate refused
    first_token_s: float | None = None
    verdict: Verdict | None = None  # what may be shown, and whether it is a refusal
    answer: Answer | None = None

    @property
    def sources(self) -> list[Passage]:
        return self.ranked[: self.k]


class Response:
    """`for token in response: ...` streams the draft; `response.answer()` runs whatever is
    left (all of it, if nothing was iterated) and returns the verified Answer."""

    def __init__(self, state: State, steps: Iterator[str]) -> None:
        self.state = state
        self._steps = steps
        self._tokens: list[str] = []
        self._done = False

    def __iter__(self) -> Iterator[str]:
        yield from list(self._tokens)  # a second loop sees the same tokens
        for token in self._steps:
            self._tokens.append(token)
            yield token
        self._done = True

    def answer(self) -> Answer:
        if not self._done:
            for _ in self:
                pass
        assert self.state.answer is not None, "the stages ended without an answer"
        return self.state.answer

    def text(self) -> str:
        """The draft as streamed so far."""
        return "".join(self._tokens)
