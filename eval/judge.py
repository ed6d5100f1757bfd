"""An optional LLM judge (any OpenAI-compatible server): faithfulness and correctness verdicts.

Judged numbers vary with the judge model and are kept apart from the deterministic headline
metrics: they live under report["judged"] and in each case's "judged" field.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.llms import BaseLLM

# Completion-style, so base and instruction-tuned judges alike continue with a verdict.
FAITHFULNESS = """Decide whether the ANSWER says only what the PASSAGES support. Reply yes or no.

PASSAGES: The bridge reopened on Monday after repairs costing £41m.
ANSWER: The bridge reopened on Monday.
SUPPORTED: yes

PASSAGES: Tram drivers accepted a 6% pay rise.
ANSWER: Tram drivers accepted a 9% pay rise.
SUPPORTED: no

PASSAGES: {passages}
ANSWER: {answer}
SUPPORTED:"""

CORRECTNESS = """Decide whether the ANSWER gives the GOLD answer. Reply yes or no.

GOLD: Uganda
ANSWER: Uganda took over the chair from Azerbaijan.
CORRECT: yes

GOLD: 76%
ANSWER: Profits rose by a third.
CORRECT: no

GOLD: {gold}
ANSWER: {answer}
CORRECT:"""


def verdict(text: str) -> float | None:
    """1.0 for yes, 0.0 for no, None when the judge said neither."""
    words = text.strip().lower().split()
    first = words[0].strip(".,:;!\"'") if words else ""
    return {"yes": 1.0, "no": 0.0}.get(first)


def judge_case(judge: BaseLLM, case: dict[str, Any], passages: str) -> dict[str, float | None]:
    scores: dict[str, float | None] = {"faithfulness": None, "correctness": None}
    if case["refused"]:
        return scores
    prompt = FAITHFULNESS.format(passages=passages[:3000], answer=case["answer"])
    scores["faithfulness"] = verdict(judge.invoke(prompt, stop=["\n"]))
    if case["gold"]:
        prompt = CORRECTNESS.format(gold=" | ".join(case["gold"]), answer=case["answer"])
        scores["correctness"] = verdict(judge.invoke(prompt, stop=["\n"]))
    return scores


def summarise_judged(rows: list[dict[str, Any]], model: str) -> dict[str, Any]:
    summary: dict[str, float | None] = {}
    for name in ("faithfulness", "correctness"):
        judged = [r["judged"][name] for r in rows if r.get("judged", {}).get(name) is not None]
        summary[name] = round(sum(judged) / len(judged), 4) if judged else None
    return {"model": model, "label": "judged by an LLM; not deterministic", "metrics": summary}
