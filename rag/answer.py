"""The answer contract that the CLI, the chat app and the evaluations all read, and the
pure steps around generation: the relevance gate, the prompt, and answer clean-up."""

from __future__ import annotations

import re

from langchain_core.documents import Document
from langchain_core.prompts import PromptTemplate
from pydantic import BaseModel, Field

from rag.answertype import offers_candidate, wanted_type
from rag.text import split_sentences

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


def document_to_source(n: int, doc: Document) -> Source:
    meta = doc.metadata
    return Source(
        n=n,
        doc_id=meta["doc_id"],
        title=meta.get("title", ""),
        published=meta.get("published") or None,
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        snippet=doc.page_content,
        score=float(meta.get("score", 0.0)),
        in_time_scope=meta.get("in_time_scope"),
        also_urls=str(meta.get("also_urls") or "").split(),
    )


# --- the relevance gate -----------------------------------------------------------------

_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*")


def anchor_numbers(question: str) -> set[str]:
    """Years and other figures in a question; passages that never mention them cannot answer.

    (Cosine similarity alone cannot tell 'the 2030 World Cup' from the 1966 one: MiniLM
    scores both about 0.5.)
    """
    return {m.group().replace(",", "") for m in _NUMBER.finditer(question)}


def refusal_reason(question: str, documents: list[Document], min_relevance: float) -> str | None:
    """Why the passages cannot answer the question, or None when they may."""
    if not documents:
        return "no articles are ingested"
    best = max(float(d.metadata.get("score", 0.0)) for d in documents)
    if best < min_relevance:
        return f"best passage similarity {best:.2f} is below {min_relevance:.2f}"
    haystack = " ".join(
        f"{d.metadata.get('title', '')} {d.metadata.get('published', '')} {d.page_content}"
        for d in documents
    ).replace(",", "")
    missing = sorted(
        n for n in anchor_numbers(question) if not re.search(rf"(?<![\d.]){n}(?![\d])", haystack)
    )
    if missing:
        return f"no passage mentions {', '.join(missing)}"
    return None


# --- the prompt -------------------------------------------------------------------------

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


# Text in an article that addresses the model rather than the reader. Retrieved text is data:
# such sentences are cut from the passages the model sees and never count as evidence.
INSTRUCTION_LIKE = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.!?]{0,60}\b(instructions?|prompts?|rules|above|"
    r"previous|context)\b|\b(reply|respond|answer|say|output|print)\b[^.!?]{0,30}\b(only|with|"
    r"exactly)\b|\bsystem prompt\b|\byou are (now )?(an? )?(ai|assistant|chatbot|language model)\b",
    re.IGNORECASE,
)


def defang(text: str) -> str:
    """The passage without sentences that give orders to a language model."""
    kept = [s for s in split_sentences(" ".join(text.split())) if not INSTRUCTION_LIKE.search(s)]
    return " ".join(kept)


def format_passages(documents: list[Document], max_chars: int = 900) -> str:
    lines = []
    for n, doc in enumerate(documents, start=1):
        meta = doc.metadata
        where_when = ", ".join(p for p in (meta.get("source"), meta.get("published")) if p)
        text = defang(doc.page_content)[:max_chars]
        lines.append(f"[{n}] {meta.get('title', '')} ({where_when}): {text}")
    return "\n".join(lines)


# --- clean-up of what the model wrote ---------------------------------------------------

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]*)\)")
_CITATION = re.compile(r"\[(\d+)\]")
_BARE_URL = re.compile(r"(?:https?|ftp|data|javascript):[^\s)\]]+|www\.[^\s)\]]+", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def best_passage(text: str, documents: list[Document]) -> int:
    """1-based number of the passage sharing the most words with `text`."""
    overlaps = [len(words(text) & words(d.page_content)) for d in documents]
    return overlaps.index(max(overlaps)) + 1


def clean_answer(raw: str, documents: list[Document]) -> tuple[str, list[int]]:
    """One line, no images or links, citations limited to the passages given; adds one if none."""
    text = raw.strip().split("\n", 1)[0].strip()  # remote models may run past one line
    text = _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", text))
    allowed = {d.metadata.get("url") for d in documents if d.metadata.get("url")}
    text = _BARE_URL.sub(lambda m: m.group() if m.group() in allowed else "", text)
    valid = range(1, len(documents) + 1)
    cited = [int(n) for n in _CITATION.findall(text) if int(n) in valid]
    text = _CITATION.sub(lambda m: m.group() if int(m.group(1)) in valid else "", text).strip()
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)  # "In 1978 . [1]" -> "In 1978. [1]"
    if text and not cited and documents:
        cited = [best_passage(text, documents)]
        text = f"{text.rstrip()} [{cited[0]}]"
    return text, sorted(set(cited))


STOPWORDS = frozenset(
    (
        "a an the of in on at to for from by with and or but is are was were be been has have "
        "had did do does what which who whom whose when where why how that this these those it "
        "its as than then there their they he she his her him them we you i me my our your "
        "about into over after before during not no yes can could would should will shall may "
        "might"
    ).split()
)


def stems(text: str) -> set[str]:
    """Content words cut to 5 letters, so 'chair' meets 'chaired' and 'chairmanship'."""
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


def evidence_score(sentence: str, question: str, kind: str | None) -> float:
    """Shared content words, plus the question's own figures, plus an answer of the asked-for
    kind (a sentence on topic but without a candidate answer is the classic distractor)."""
    overlap = len(stems(question) & stems(sentence))
    figures = sum(1 for n in _NUMBER.findall(question) if n in sentence)
    return overlap + 2 * figures + (1.5 if offers_candidate(sentence, question, kind) else 0)


def extractive_answer(question: str, documents: list[Document]) -> tuple[str, list[int]]:
    """The passage sentence that best answers the question by `evidence_score`, quoted, cited."""
    kind = wanted_type(question)
    best: tuple[float, int, str] = (0.0, 0, "")
    for n, doc in enumerate(documents, start=1):
        for sentence in split_sentences(defang(doc.page_content)):
            if not stems(question) & stems(sentence):
                continue
            score = evidence_score(sentence, question, kind)
            if score > best[0]:
                best = (score, n, sentence)
    if best[1] == 0:
        return REFUSAL, []
    return f"“{best[2]}” [{best[1]}]", [best[1]]


NAME_OR_NUMBER = re.compile(r"\b(?:\d[\d,.:%-]*\d|\d|[A-Z][\w'’-]+)")
