"""What an ingest run did, as data (the CLI's --json, the app's report) and as text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class IngestReport:
    files_seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    chunks_written: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0
    ignored: list[str] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)  # web: kept once
    summaries: list[str] = field(default_factory=list)  # web: feed summary stood in for the page
    # Where the time went (files ingested from disk; the stages overlap, so these add up to
    # more than `seconds`): reading, parsing and chunking; embedding; storing; and the time
    # the encoder waited, for chunks to embed or for the writer to take a batch.
    parse_seconds: float = 0.0
    encode_seconds: float = 0.0
    write_seconds: float = 0.0
    encoder_idle_seconds: float = 0.0

    @classmethod
    def merged(cls, reports: list[IngestReport]) -> IngestReport:
        """One report for a run over files and URLs together."""
        merged = cls()
        for report in reports:
            for name, value in vars(report).items():
                setattr(merged, name, getattr(merged, name) + value)
        return merged

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def report_lines(report: dict[str, Any], extra_problems: Sequence[str] = ()) -> list[str]:
    """The ingest report as text: a summary line, then one line per skipped, duplicate or
    summary-only item (the CLI prints these; the app shows them as a list)."""
    skipped = len(report["skipped"]) + len(extra_problems)
    lines = [
        f"{report['files_seen']} files: {report['added']} added, {report['updated']} updated, "
        f"{report['unchanged']} unchanged, {report.get('removed', 0)} removed, {skipped} "
        f"skipped; {report['chunks_written']} chunks written in {report['seconds']:.1f} s"
    ]
    lines += [f"skipped {s['path']}: {s['reason']}" for s in report["skipped"]]
    lines += [f"skipped {problem}" for problem in extra_problems]
    lines += [
        f"duplicate {d['path']}: same story as {d['same_as']}" for d in report.get("duplicates", [])
    ]
    lines += [
        f"{url}: page unavailable, the feed's summary was stored"
        for url in report.get("summaries", [])
    ]
    return lines
