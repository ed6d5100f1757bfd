"""Publications a question names ("a New York Times article", "reported by The Verge"), and
which of them no article in the collection comes from. What a publication reported cannot be
answered from another outlet's story: the gate refuses, and says which one is missing.

Only names framed as a news item count ("an article from X", "X's coverage"). "According to
X" and "a report by X" name organisations as often as outlets ("a report by the IMF").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.candidates import MONTHS_DAYS

_WORD = r"[A-Z][\w&.'’-]*"
_NAME = rf"{_WORD}(?:\s+(?:of\s+|&\s+)?{_WORD})*"
_ITEM = r"(?:article|piece|story|stories|coverage|column|op-ed)s?"
_OPEN = r"(?:the\s+)?['‘\"]?"  # an outlet's name may be quoted: "the 'Polygon' article"
_CUES = (
    re.compile(rf"\b{_ITEM}\s+(?:from|by|in|published (?:by|in))\s+{_OPEN}(?P<name>{_NAME})"),
    re.compile(rf"(?<!of )\b(?:an?|the|another)\s+['‘\"]?(?P<name>{_NAME})['’\"]?\s+{_ITEM}\b"),
    re.compile(rf"(?P<name>{_NAME})['’]s\s+{_ITEM}\b"),
    re.compile(
        rf"\b(?:reported|published|covered|written|discussed) by\s+{_OPEN}(?P<name>{_NAME})"
    ),
    # "an article by The Guardian and another by Forbes"
    re.compile(rf"\banother\s+(?:one\s+)?(?:from|by|in)\s+{_OPEN}(?P<name>{_NAME})"),
)
_MASK = "\x00"  # stands in for a known outlet's name, so that no cue reads it again


def _head(name: str) -> str:
    """A source's name before its section: 'The Independent - Life and Style' -> 'The
    Independent', 'Cnbc | World Business News Leader' -> 'Cnbc'."""
    return re.split(r"\s+[-|]\s+|:\s", name.strip())[0]


def outlet_key(name: str) -> str:
    """'The Independent - Life and Style' -> 'independent'; 'the Verge' -> 'verge'."""
    return re.sub(r"^the\s+", "", _head(name).lower()).strip(" '’\"")


def _masked(question: str, sources: Iterable[str]) -> str:
    """The question with every known source's name (whole, or its head) blanked out."""
    names = {s for source in sources for s in (source, _head(source))}
    for name in sorted((n for n in names if len(n) >= 3), key=len, reverse=True):
        question = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", _MASK, question, flags=re.I)
    return question


def named_outlets(question: str) -> list[str]:
    """The outlet names the question frames as news items, as written."""
    found: list[str] = []
    for cue in _CUES:
        for match in cue.finditer(question):
            for name in re.split(r"\s+and\s+", match.group("name")):
                name = re.sub(
                    r"^(?:(?:Does|Did|Do|Is|Was|Were|Has|Have|Had)\s+)?(?:The\s+)?", "", name
                )
                name = re.sub(r"['’]s?$", "", name).strip(" '’\"")
                if name and name.lower() not in MONTHS_DAYS and name not in found:
                    found.append(name)
    return found


def unknown_outlets(question: str, sources: Iterable[str]) -> list[str]:
    """Outlets the question names that no article in the collection comes from."""
    sources = list(sources)
    known = {outlet_key(s) for s in sources}
    return [
        name
        for name in named_outlets(_masked(question, sources))
        if _MASK not in name and outlet_key(name) not in known
    ]
