"""Stage: the prompt. The passages the model is shown, numbered, inside a few-shot document."""

from __future__ import annotations

from langchain_core.language_models.llms import BaseLLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import Runnable

from rag.passage import Passage

# The bundled model is a base model: it continues text. So the prompt is a document whose
# natural continuation is a short cited answer. The fixed examples come first, so llama.cpp
# reuses their evaluated tokens from one question to the next.
FEW_SHOT = """Answer each question in one short sentence, using only the numbered news passages. \
Cite the passage you used in brackets, like [2].

Passages:
[1] Harbour bridge reopens (City Herald, 2023-03-14): The harbour bridge reopened to traffic on \
Monday after eight months of repairs that cost £41m, the council said.
[2] Tram strike called off (City Herald, 2023-03-15): Tram drivers called off Friday's strike \
after accepting a 6% pay rise, the union announced.
Question: How much did the bridge repairs cost?
Answer: The repairs cost £41m [1].

Passages:
[1] Film festival line-up (Arts Daily, 2022-05-02): The festival will open with a drama by \
Lena Park and close with a documentary about jazz.
[2] New museum director named (Arts Daily, 2022-05-03): The national museum named Omar Haddad as \
its director; he replaces Ruth Levin, who retires in June.
Question: Who will replace Ruth Levin at the museum?
Answer: Omar Haddad will replace her as director [2].

Passages:
{passages}
Question: {question}
Answer:"""

PROMPT = PromptTemplate.from_template(FEW_SHOT)
STOP = ["\n", "Question:", "Passages:"]
# A server gives no control of the first token: a newline stop could end the answer before it
# starts, so remote models stop at the next example block and the answer's first line is kept.
STOP_REMOTE = ["Question:", "Passages:", "\n\n\n"]


def stop_sequences(llm: object) -> list[str]:
    from rag.llm import LlamaCppLLM

    return STOP if isinstance(llm, LlamaCppLLM) else STOP_REMOTE


def format_passages(passages: list[Passage]) -> str:
    """The passages numbered [1], [2]... with title, source and date. Their length was fixed
    when the context was chosen (rag/context.py); nothing is cut here. Defanging again is a
    no-op for chosen passages and keeps any other caller's passages safe."""
    lines = []
    for n, passage in enumerate(passages, start=1):
        where_when = ", ".join(p for p in (passage.source, passage.published) if p)
        text = passage.defanged
        lines.append(f"[{n}] {passage.title} ({where_when}): {text}")
    return "\n".join(lines)


def generation_chain(llm: BaseLLM) -> Runnable[dict[str, str], str]:
    """prompt | model | text, with the stop sequences that model needs."""
    return PROMPT | llm.bind(stop=stop_sequences(llm)) | StrOutputParser()
