"""Date and source filters as people type them (CLI options, the chat's filter boxes, API
arguments), checked once for every front end."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.retrieval import Filters


def parse_filters(
    since: str | None,
    until: str | None,
    source: str | None,
    labels: tuple[str, str] = ("since", "until"),
) -> Filters:
    """Filters for retrieval; ValueError names the bad date and shows the form wanted."""
    from ingest.loaders import normalise_date
    from rag.retrieval import Filters

    days: list[str | None] = []
    for label, value in zip(labels, (since, until), strict=True):
        text = (value or "").strip()
        day = normalise_date(text) if text else None
        if text and day is None:
            raise ValueError(f"{label} wants a date like 2024-01-31, got '{value}'")
        days.append(day)
    return Filters(days[0], days[1], (source or "").strip() or None)
