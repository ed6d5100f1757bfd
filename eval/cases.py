"""Question sets in the evaluation format (../shared/eval-format.md), read with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from rag.followup import Turn, validate_history


class EvalCase(BaseModel):
    id: str
    question: str = Field(min_length=1)
    answers: list[str] = Field(default_factory=list)
    doc_ids: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    type: str = "factoid"
    history: list[dict[str, str]] = Field(default_factory=list)
    # An addition to the format for generator-only sets (RGB): the passages to answer from.
    # A case that has them skips retrieval and has no retrieval scores.
    passages: list[str] | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def turns(self) -> list[Turn]:
        return validate_history(self.history)


def read_cases(path: Path) -> list[EvalCase]:
    """Every case of a JSON Lines file; a bad line is an error naming its line number."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    cases: list[EvalCase] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = EvalCase.model_validate(json.loads(line))
            case.turns()
        except (json.JSONDecodeError, ValidationError, ValueError) as error:
            first = str(error).splitlines()[0] if isinstance(error, ValidationError) else error
            raise ValueError(f"{path}:{number}: not a valid case: {first}") from None
        cases.append(case)
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise ValueError(f"{path}: the id {case.id!r} appears twice")
        seen.add(case.id)
    if not cases:
        raise ValueError(f"{path} holds no cases")
    return cases
