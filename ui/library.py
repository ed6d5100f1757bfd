"""The library tab's work: list, search and delete articles; add uploads (files or a zip) and
server paths through the same ingest pipeline as `newsrag ingest`."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from rag.chain import Pipeline

COLUMNS = ["title", "published", "source", "chunks", "doc_id"]
ARTICLE_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}


def article_rows(pipeline: Pipeline, title_contains: str = "") -> list[list[Any]]:
    records = pipeline.retriever.store.records.listing(title_contains)
    return [[r.title, r.published or "", r.source, r.chunks, r.doc_id] for r in records]


def delete_article(pipeline: Pipeline, doc_id: str) -> str:
    from ingest.pipeline import IngestReport, remove_articles

    doc_id = doc_id.strip()
    store = pipeline.retriever.store
    if not doc_id or store.records.get(doc_id) is None:
        return f"No article with doc id '{doc_id}'."
    with store.writing():
        remove_articles(store, [doc_id], IngestReport())
    return f"Deleted {doc_id}."


def unpack_uploads(files: list[str], folder: Path, max_bytes: int) -> tuple[list[Path], list[str]]:
    """Move uploaded files into `folder`; a zip is unpacked there, member by member, keeping
    only article files, never writing outside the folder and never past `max_bytes` each."""
    folder.mkdir(parents=True, exist_ok=True)
    kept: list[Path] = []
    problems: list[str] = []
    for name in files:
        upload = Path(name)
        if upload.suffix.lower() == ".zip":
            found, skipped = unzip_articles(upload, folder, max_bytes)
            kept += found
            problems += skipped
        elif upload.suffix.lower() in ARTICLE_SUFFIXES:
            target = folder / upload.name
            target.write_bytes(upload.read_bytes())
            kept.append(target)
        else:
            kinds = ", ".join(sorted(ARTICLE_SUFFIXES))
            problems.append(f"{upload.name}: not an article file ({kinds} or .zip)")
    return kept, problems


def unzip_articles(archive: Path, folder: Path, max_bytes: int) -> tuple[list[Path], list[str]]:
    kept: list[Path] = []
    problems: list[str] = []
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                inner = PurePosixPath(member.filename)
                if member.is_dir() or inner.suffix.lower() not in ARTICLE_SUFFIXES:
                    continue
                if inner.is_absolute() or ".." in inner.parts:
                    problems.append(f"{archive.name}:{member.filename}: unsafe path, skipped")
                    continue
                if member.file_size > max_bytes:
                    problems.append(
                        f"{archive.name}:{member.filename}: larger than {max_bytes} bytes"
                    )
                    continue
                target = folder / archive.stem / Path(*inner.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(bundle.read(member)[:max_bytes])
                kept.append(target)
    except zipfile.BadZipFile:
        problems.append(f"{archive.name}: not a readable zip file")
    return kept, problems


def report_markdown(report: dict[str, Any], problems: list[str]) -> str:
    lines = [
        f"**{report['files_seen']} files:** {report['added']} added, {report['updated']} updated, "
        f"{report['unchanged']} unchanged, {len(report['skipped']) + len(problems)} skipped; "
        f"{report['chunks_written']} chunks written in {report['seconds']:.1f} s."
    ]
    lines += [f"- skipped {s['path']}: {s['reason']}" for s in report["skipped"]]
    lines += [f"- skipped {p}" for p in problems]
    return "\n".join(lines)


def add_articles(pipeline: Pipeline, paths: list[Path], problems: list[str]) -> str:
    """Ingest files or folders with a tqdm progress bar (which the app's progress bar follows)."""
    from ingest.pipeline import ingest

    settings = pipeline.settings
    if not paths:
        return report_markdown(
            {"files_seen": 0, "added": 0, "updated": 0, "unchanged": 0, "skipped": [],
             "chunks_written": 0, "seconds": 0.0}, problems or ["nothing to add"],
        )  # fmt: skip
    from rag.lock import StoreBusy

    try:
        report = ingest(
            paths, pipeline.retriever.store, pipeline.retriever.embeddings,
            chunk_chars=settings.chunk_chars, max_file_bytes=settings.max_file_bytes,
            progress=True,
        )  # fmt: skip
    except StoreBusy as busy:
        return f"**Not added:** {busy}"
    return report_markdown(report.as_dict(), problems)
