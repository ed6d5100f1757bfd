"""The answer contract that the CLI, the chat app and the evaluations all read."""

from __future__ import annotations

from pydantic import BaseModel, Field

REFUSAL = "I couldn't find this in the ingested articles."


class Source(BaseModel):
    n: int
    doc_id: str
    title: str
    published: str | None
    source: str
    url: str
    snippet: str
    score: float
    in_time_scope: bool | None = None  # inside the time the question named; None: undated
    evidence: list[str] = Field(default_factory=list, description="sentences the answer rests on")
    also_urls: list[str] = Field(default_factory=list, description="the same story elsewhere")


class Timings(BaseModel):
    retrieve_s: float = 0.0
    generate_s: float = 0.0
    total_s: float = 0.0
    first_token_s: float | None = None


class Answer(BaseModel):
    question: str
    answer: str
    refused: bool
    grounded: bool = Field(True, description="every sentence shown is supported by its sources")
    sources: list[Source] = Field(default_factory=list)
    cited: list[int] = Field(default_factory=list, description="source numbers the answer cites")
    search_query: str = ""
    time_scope: dict[str, object] | None = None
    timings: Timings = Field(default_factory=Timings)
