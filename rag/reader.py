"""The reader: pick the sentence that answers, then the short span in it that answers.

The classic failure is quoting the lead sentence, which restates the question. Here every
sentence of the given passages is scored by MiniLM cosine plus content-word overlap with the
question, plus a bonus when it holds a candidate of the asked-for kind that the question does
not already contain. Candidates from the best sentences are then ranked by their sentence,
their kind, their closeness to the question's words and, optionally, a language model used
as a scorer (see rag/scorer.py). The numbers behind the choice come back as features for a
calibrated refusal gate fitted elsewhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from rag.asked import TWO_WAY, asked_kind, choice_options
from rag.candidates import (
    WORD,
    Span,
    content_stems,
    in_question_share,
    kind_fit,
    lower_words,
    new_spans,
    question_words,
    stem,
)
from rag.nlp import LABEL_KIND, Parsed, label_of, parse, parse_question
from rag.ranker import Ranker, asked_unit, candidate_signals, load_ranker
from rag.reader_signals import features
from rag.text import split_sentences

Embed = Callable[[list[str]], list[list[float]]]


class CandidateScorer(Protocol):
    def score(self, question: str, sentence: str, candidates: Sequence[str]) -> list[float]:
        """Per candidate: how much the sentence raises its likelihood as the answer."""
        ...

    def yes_no(self, question: str, sentence: str) -> float:
        """Log-odds of 'yes' over 'no', calibrated against the question alone."""
        ...


@dataclass(frozen=True)
class Evidence:
    text: str
    passage: int
    score: float
    cosine: float
    overlap: float


@dataclass(frozen=True)
class Candidate:
    text: str  # exactly as written in the passage
    kind: str
    sentence: str
    passage: int
    score: float
    fit: float = 0.0  # kind match with the question, 0..1
    in_question: float = 0.0  # share of its words already in the question
    llr: float = 0.0  # scorer's calibrated log-likelihood gain, 0 without a scorer
    signals: dict[str, float] = field(default_factory=dict)  # what the ranker weighed


@dataclass
class Reading:
    asked: str  # the fine kind the question wants (rag.asked.ASKED_KINDS)
    answer: Candidate | None
    candidates: list[Candidate]
    sentences: list[Evidence]
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Weights:
    """Set by hand while reading misses on eval/questions/tune.jsonl only; not grid-fitted."""

    cosine: float = 1.0
    overlap: float = 1.0
    new_candidate: float = 0.5  # the sentence adds something of the asked kind
    passage_rank: float = 0.05  # later passages are less likely to hold the answer
    fit: float = 1.0
    proximity: float = 0.5
    in_question: float = 2.0
    llr: float = 0.1
    sentences_read: int = 8  # candidates come from this many best sentences (rag/ranker.json)
    scored: int = 4  # the scorer re-ranks this many leading candidates


def sentences_of(passages: Sequence[str]) -> list[tuple[int, str]]:
    """(passage index, sentence) for every sentence, title lines included."""
    out: list[tuple[int, str]] = []
    for i, passage in enumerate(passages):
        for paragraph in re.split(r"\n+", passage):
            out.extend((i, s) for s in split_sentences(paragraph.strip()) if len(s) > 3)
    return out


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _overlap(sentence: str, question_stems: set[str], context_stems: set[str]) -> float:
    """Weighted share of the question's content stems the sentence holds (context at half)."""
    said = content_stems(sentence)
    total = len(question_stems) + 0.5 * len(context_stems - question_stems)
    got = len(said & question_stems) + 0.5 * len((said & context_stems) - question_stems)
    return got / total if total else 0.0


def rank_sentences(
    question: str,
    passages: Sequence[str],
    embed: Embed | None,
    context: str = "",
    weights: Weights = Weights(),
    asked: str | None = None,
) -> list[Evidence]:
    """Every sentence of the passages, best first."""
    pairs = sentences_of(passages)
    if not pairs:
        return []
    query = f"{context} {question}".strip()
    cosines = [0.0] * len(pairs)
    if embed is not None:
        vectors = embed([query] + [s for _, s in pairs])
        cosines = [_cosine(vectors[0], v) for v in vectors[1:]]
    asked, asked_words = asked or asked_kind(question), question_words(f"{question} {context}")
    q_stems, c_stems = content_stems(question), content_stems(context)
    common = lower_words(passages)
    ranked = []
    for (passage, text), cos in zip(pairs, cosines, strict=True):
        overlap = _overlap(text, q_stems, c_stems)
        fits = [fit for _, fit in new_spans(text, asked, asked_words, common)]
        score = (
            weights.cosine * cos
            + weights.overlap * overlap
            + weights.new_candidate * max(fits, default=0.0)
            - weights.passage_rank * passage
        )
        ranked.append(Evidence(text, passage, score, cos, overlap))
    return sorted(ranked, key=lambda e: -e.score)


def question_hits(sentence: str, question_stems: set[str]) -> list[tuple[int, int]]:
    """Where the sentence says one of the question's content words."""
    return [m.span() for m in WORD.finditer(sentence) if stem(m.group()) in question_stems]


def proximity(sentence: str, span: Span, question_stems: set[str]) -> float:
    """1 when the span sits next to one of the question's words in the sentence, falling
    with distance: the answer to 'director of Spamhaus' sits beside 'director'."""
    hits = question_hits(sentence, question_stems)
    if not hits:
        return 0.0
    before = sentence[: span.start]
    after = sentence[span.end :]
    gaps = []
    for m in hits:
        if m[1] <= span.start:
            gaps.append(len(WORD.findall(before[m[1] :])))
        elif m[0] >= span.end:
            gaps.append(len(WORD.findall(after[: m[0] - span.end])))
    return 1.0 / (1.0 + min(gaps)) if gaps else 0.0


@dataclass(frozen=True)
class _Look:
    """What the question asks for, as each candidate is weighed against it."""

    asked: str
    unit: str | None
    asked_words: set[str]
    stems: set[str]
    subject: bool = False  # the question asks for its verb's subject (rag.nlp.parse_question)
    lemmas: set[str] = field(default_factory=set)  # the question's content lemmas


def spans_of(
    sentence: str, parsed: Parsed, look: _Look, common: frozenset[str]
) -> list[tuple[Span, float]]:
    """The sentence's candidate spans with their kind fit: the patterns' and capitalisation's,
    plus each named entity spaCy marks that they cut differently ("Manchester High School
    for Girls", "Neil O'Brien")."""
    found = new_spans(sentence, look.asked, look.asked_words, common)
    texts = {span.text for span, _ in found}
    for ent in parsed.entities:
        if ent.label in LABEL_KIND and ent.text not in texts:
            span = Span(ent.start, ent.end, ent.text, "name")
            if in_question_share(span.text, look.asked_words) < 1.0:
                found.append((span, kind_fit(look.asked, span)))
    return found


def _signals(
    ev: Evidence, span: Span, fit: float, rank: int, parsed: Parsed, look: _Look, weights: Weights
) -> dict[str, float]:
    inq = in_question_share(span.text, look.asked_words)
    near = proximity(ev.text, span, look.stems)
    hand = ev.score + weights.fit * fit + weights.proximity * near - weights.in_question * inq
    # the question's words in the sentence, by stem or by lemma ("took" finds "taken")
    hits = question_hits(ev.text, look.stems) + parsed.lemma_hits(look.lemmas)
    arcs = parsed.tree_distance((span.start, span.end), hits)
    subject = parsed.is_subject((span.start, span.end), hits)
    label = label_of(span.start, span.end, parsed.entities)
    return candidate_signals(
        ev.text,
        span,
        fit=fit,
        near=near,
        in_question=inq,
        sentence_rank=rank,
        sentence_score=ev.score,
        mentions=0,
        unit=look.unit,
        asked=look.asked,
        label=label,
    ) | {
        "hand_score": hand,
        "tree_near": 1.0 / (1.0 + arcs) if arcs >= 0 else 0.0,
        "subject_asked": float(look.subject and subject),
        "subject_unasked": float(not look.subject and subject),
        "new_surname": float(_new_surname(span, label, inq, look)),
    }


def _new_surname(span: Span, label: str | None, in_question: float, look: _Look) -> bool:
    """A person's name the question shares only a first name with ("Simon Webster" for
    "Who replaced Simon Danielli?") is someone new: the surname tells people apart. Only a
    name spaCy marks as a person's: "World Cup Brazil" for "Who won the World Cup Final in
    2014?" is no one (on RGB it displaced "Germany")."""
    parts = span.text.split()
    person = look.asked == "person" and span.kind == "name" and label == "PERSON"
    if not person or len(parts) < 2 or in_question == 0.0:
        return False
    return in_question_share(parts[-1], look.asked_words) == 0.0


def rank_candidates(
    question: str,
    sentences: Sequence[Evidence],
    context: str = "",
    scorer: CandidateScorer | None = None,
    weights: Weights = Weights(),
    common: frozenset[str] = frozenset(),
    asked: str | None = None,
    ranker: Ranker | Literal["fitted"] | None = "fitted",
) -> list[Candidate]:
    """Candidates from the best sentences, best first, one entry per distinct text. `ranker`:
    the fitted logistic ranking (rag/ranker.py), or None for the hand weights alone."""
    asked, unit = asked or asked_kind(question), asked_unit(question)
    # the unit a count asks for belongs to its answer: "60 films" for "how many films"
    asked_words = {
        w for w in question_words(f"{question} {context}") if unit is None or stem(w) != unit
    }
    stems = content_stems(question) | content_stems(context)
    said = parse_question(question, context)
    look = _Look(asked, unit, asked_words, stems, said.subject, set(said.lemmas) - {unit or ""})
    model = load_ranker() if ranker == "fitted" else ranker
    texts = [e.text.lower() for e in sentences]
    read_first = sentences[: weights.sentences_read]
    best: dict[str, Candidate] = {}
    parsed_all = parse([e.text for e in read_first])
    for rank, (ev, parsed) in enumerate(zip(read_first, parsed_all, strict=True)):
        for span, fit in spans_of(ev.text, parsed, look, common):
            signals = _signals(ev, span, fit, rank, parsed, look, weights)
            signals["mentions"] = float(min(sum(span.text.lower() in t for t in texts), 5))
            score = model.score(signals) if model is not None else signals["hand_score"]
            cand = Candidate(
                span.text, span.kind, ev.text, ev.passage, score, fit,
                signals["in_question"], 0.0, signals,
            )  # fmt: skip
            key = span.text.lower()
            if key not in best or best[key].score < score:
                best[key] = cand
    ranked = sorted(best.values(), key=lambda c: -c.score)
    if scorer is not None and ranked:
        ranked = rescore(question, sentences, ranked, scorer, weights)
    return ranked


def rescore(
    question: str,
    sentences: Sequence[Evidence],
    ranked: list[Candidate],
    scorer: CandidateScorer,
    weights: Weights,
) -> list[Candidate]:
    """Add the scorer's calibrated gain to the top few candidates; the best sentences go in
    as one passage, so the model reads one prefix per question."""
    head, tail = ranked[: weights.scored], ranked[weights.scored :]
    passage = " ".join(e.text for e in sentences[: weights.sentences_read])
    llrs = scorer.score(question, passage, [c.text for c in head])
    head = [
        replace(c, score=c.score + weights.llr * float(llr), llr=float(llr))
        for c, llr in zip(head, llrs, strict=True)
    ]
    return sorted(head, key=lambda c: -c.score) + tail


_NEGATION = re.compile(r"\b(not|no|never|neither|nor|denied|denies|rejected|n't|without)\b", re.I)


def decide_yes_no(
    question: str, evidence: Evidence, scorer: CandidateScorer | None
) -> tuple[Candidate, float]:
    """'yes' or 'no' from the best evidence sentence: the scorer's calibrated log-odds when
    there is one, else whether claim and evidence agree in polarity ("Did the summit take
    place?" against "it did not take place": no; a claim that itself negates, "…without
    discussing X?", is confirmed only by evidence that negates too).

    Weak, and measured as such on MultiHop-RAG's 247 yes/no questions (even ids to choose,
    odd to check; scripts/probe_yes_no.py): polarity agreement 0.64 / 0.63 right, the
    evidence's negation alone 0.56 / 0.60, always "yes" 0.58 / 0.63."""
    if scorer is not None:
        odds = scorer.yes_no(question, evidence.text)
    else:
        agree = bool(_NEGATION.search(question)) == bool(_NEGATION.search(evidence.text))
        odds = 1.0 if agree else -1.0
    said = "yes" if odds >= 0 else "no"
    return Candidate(said, "yesno", evidence.text, evidence.passage, evidence.score, 1.0), odds


def read(
    question: str,
    passages: Sequence[str],
    embed: Embed | None,
    scorer: CandidateScorer | None = None,
    context: str = "",
    weights: Weights = Weights(),
    asked: str | None = None,
    ranker: Ranker | Literal["fitted"] | None = "fitted",
) -> Reading:
    """Read the short answer out of the passages (best first).

    context: earlier turns of a conversation, for a follow-up ("How old was he then?"); it
    counts towards relevance at half weight, and what it already says is no answer."""
    asked = asked or asked_kind(question)
    sentences = rank_sentences(question, passages, embed, context, weights, asked)
    if asked in TWO_WAY and sentences:
        answer, odds = decide_yes_no(question, sentences[0], scorer)
        options = choice_options(question) if asked == "choice" else None
        if options is not None:  # yes: the first option holds ("consistent"), no: the other
            answer = replace(answer, text=options[0] if odds >= 0 else options[1], kind=asked)
        feats = features(sentences, [answer], question) | {"yes_no_odds": odds}
        return Reading(asked, answer, [answer], sentences, feats)
    common = lower_words(passages)
    candidates = rank_candidates(
        question, sentences, context, scorer, weights, common, asked, ranker
    )
    best = candidates[0] if candidates else None
    return Reading(asked, best, candidates, sentences, features(sentences, candidates, question))
