"""Time named in a question: 'in January 2024', 'in 2005', 'last year', 'the latest news'.

Questions with a time get a boost for articles dated inside it (not a filter: undated articles,
like the BBC set, would all vanish under a filter). Explicit --since/--until filter instead.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?\s+(\d{{4}})\b", re.IGNORECASE)
_YEAR = re.compile(
    r"\b(?:in|during|of|since|for|throughout)\s+(?:the\s+year\s+)?((?:19|20)\d\d)\b", re.I
)
_RELATIVE = re.compile(r"\b(last|this|past)\s+(year|month|week)\b", re.IGNORECASE)
_LATEST = re.compile(r"\b(latest|most recent|newest|recently|recent)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TimeScope:
    """since/until as ISO dates; `latest` asks for the newest articles first."""

    since: str | None = None
    until: str | None = None
    latest: bool = False
    phrase: str = ""

    def as_dict(self) -> dict[str, object]:
        """For the answer: what the question named and how it was used (a boost)."""
        return {
            "phrase": self.phrase,
            "since": self.since,
            "until": self.until,
            "latest": self.latest,
            "applied": "boost",
        }

    def contains(self, published: str | None) -> bool | None:
        """None for an undated article: it can be neither in nor out of scope."""
        if not published:
            return None
        return (self.since or "0000") <= published <= (self.until or "9999")


def month_range(year: int, month: int) -> tuple[str, str]:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1).isoformat(), date(year, month, last).isoformat()


def relative_range(unit: str, which: str, today: date) -> tuple[str, str]:
    """'last year' relative to `today` (the newest article's date, not the clock)."""
    if unit == "year":
        year = today.year - (1 if which == "last" else 0)
        if which == "past":
            return (today - timedelta(days=365)).isoformat(), today.isoformat()
        return f"{year}-01-01", f"{year}-12-31"
    if unit == "month":
        if which == "past":
            return (today - timedelta(days=31)).isoformat(), today.isoformat()
        first = today.replace(day=1)
        target = first - timedelta(days=1) if which == "last" else first
        return month_range(target.year, target.month)
    start = today - timedelta(days=7 if which != "this" else today.weekday())
    return start.isoformat(), today.isoformat()


def parse_time_scope(question: str, newest: str | None) -> TimeScope | None:
    """The time a question names, or None. `newest`: the newest article's ISO date."""
    if match := _MONTH_YEAR.search(question):
        since, until = month_range(int(match.group(2)), _MONTHS[match.group(1).lower()])
        return TimeScope(since, until, phrase=match.group(0))
    if match := _YEAR.search(question):
        year = match.group(1)
        return TimeScope(f"{year}-01-01", f"{year}-12-31", phrase=match.group(0))
    if (match := _RELATIVE.search(question)) and newest:
        since, until = relative_range(
            match.group(2).lower(), match.group(1).lower(), date.fromisoformat(newest)
        )
        return TimeScope(since, until, phrase=match.group(0))
    if match := _LATEST.search(question):
        return TimeScope(latest=True, phrase=match.group(0))
    return None
