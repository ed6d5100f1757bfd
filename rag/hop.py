"""Stage: a second hop, for a question that names its subject by a description another
article resolves ("The Egyptian striker who scored in Tottenham's 3-0 win over Forest had been
dropped by which coach?").

The first search finds the article the description comes from (the match report), where the
reader finds the name it describes (Mido, the bridge). The answer sits in another article,
about Mido, that the first search ranks low because the question never says "Mido". So the
question is searched again with the name in place of the description, and the best article
that names the bridge joins the first as the second passage shown. The bridge is added to the
search query as an earlier turn would be, so the reader does not give it as the answer.

Only for a definite description with a relative clause ("the X who/that/where ..."), and only
when the reader's pick for "which X ...?" is clear; otherwise nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from rag.asked import asked_kind, names_a_person
from rag.candidates import question_words
from rag.nlp import asked_noun, described
from rag.passage import Passage
from rag.question import Question
from rag.reader import Candidate, read

Embed = Callable[[list[str]], list[list[float]]]
Search = Callable[[str, int], list[Passage]]

# How far the bridge must lead the reader's next candidate (the reader's own margin scale).
BRIDGE_MARGIN = 0.5
HOP_K = 4  # articles the second search looks through for one that names the bridge


@dataclass(frozen=True)
class Hop:
    bridge: str  # the name the description stands for ("Mido")
    question: Question  # the question, with the bridge in its search query
    passage: Passage  # the second search's best article naming the bridge


def bridge_of(
    description: str, question: str, passages: list[Passage], embed: Embed | None
) -> str | None:
    """The name the question's description stands for, read from the first article."""
    if not passages:
        return None
    # "Which Egyptian striker who scored ...?": a person. Without its article: "Which The
    # American sprinter who ...?" (a question opening with its description) has no noun
    core = re.sub(r"^(?:the|a|an)\s+", "", description, flags=re.IGNORECASE)
    which = f"Which {core}?"
    person = names_a_person(asked_noun(which))
    asked = "person" if person else asked_kind(which)
    sub = direct(core) or f"{'Who' if person else 'Which'} is the {core}?"
    reading = read(sub, [p.text for p in passages], embed, asked=asked)
    # of the kind asked, and not of another by spaCy's label: for "the Egyptian striker who
    # scored", "Egypt" is no candidate; a single name ("Mido") fits a person only in part
    fitting = [
        c
        for c in reading.candidates
        if c.kind == "name" and c.fit > 0.0 and c.in_question == 0.0 and not labelled_other(c)
    ]
    if not fitting:
        return None
    lead = fitting[0].score - fitting[1].score if len(fitting) > 1 else BRIDGE_MARGIN
    if lead < BRIDGE_MARGIN or set(question_words(fitting[0].text)) <= question_words(question):
        return None
    return fitting[0].text


def labelled_other(candidate: Candidate) -> bool:
    """spaCy labels the name as a kind other than the one asked. A product, work or event
    label does not count: the small model calls unfamiliar names so ("Mido": PRODUCT)."""
    signals = candidate.signals
    return bool(signals.get("ner_clash")) and not signals.get("ner_thing")


# A relative pronoun that is its clause's subject: followed by the clause's verb, not by the
# clause's own subject ("the quarter-final that Jol's side earned", "the firm that it bought")
_SUBJECT_RELATIVE = re.compile(
    r"^(?P<head>.+?)\s+(?:who|that|which)\s+"
    r"(?!(?:the|a|an|his|her|its|their|this|these|those|he|she|it|they|we|i|you)\b)"
    r"(?P<rest>[a-z].*)$"
)


def direct(core: str) -> str | None:
    """The description as the question it answers, where its relative pronoun is the
    subject: "American sprinter who filed a lawsuit against Conte" -> "Which American
    sprinter filed a lawsuit against Conte?". The reader tells the subject of "filed" from
    the copula's ("Who is the sprinter who filed ...?" put Marion Jones at -4.3, against
    +4.0 asked directly)."""
    match = _SUBJECT_RELATIVE.match(core)
    return f"Which {match['head']} {match['rest']}?" if match else None


def names(text: str, bridge: str) -> bool:
    """The passage names the bridge, by its last word at least ("Mido", "Jones")."""
    last = bridge.split()[-1]
    return re.search(rf"\b{re.escape(last)}\b", text) is not None


def second_hop(
    question: Question, ranked: list[Passage], search: Search, embed: Embed | None
) -> Hop | None:
    """The second search's best article, from outside the first passage's, that names the
    bridge; None when the question has no description or the reader cannot resolve it."""
    description = described(question.text)
    bridge = bridge_of(description, question.text, ranked[:1], embed) if description else None
    if description is None or bridge is None:
        return None
    query = question.text.replace(description, bridge)
    first = ranked[0].doc_id
    for passage in search(query, HOP_K):
        if passage.doc_id != first and names(passage.text, bridge):
            said = replace(question, search_query=f"{bridge}. {question.search_query}")
            return Hop(bridge, said, passage)
    return None
