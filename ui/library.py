"""The library tab's work: list, search and delete articles; add uploads (files or a zip) and
server paths through the same ingest pipeline as `newsrag ingest`."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from ingest.loaders import SUPPORTED_SUFFIXES
from rag.chain import Pipeline

COLUMNS = ["title", "published", "source", "chunks", "doc_id"]
ARTICLE_SUFFIXES = SUPPORTED_SUFFIXES


def article_rows(pipeline: Pipeline, title_contains: str = "") -> list[list[Any]]:
    records = pipeline.store.articles(title_contains)
    return [[r.title, r.published or "", r.source, r.chunks, r.doc_id] for r in records]


def delete_article(pipeline: Pipeline, doc_id: str) -> str:
    from ingest.pipeline import IngestReport, remove_articles

    doc_id = doc_id.strip()
    store = pipeline.store
    if not doc_id or store.article(doc_id) is None:
        return f"No article with doc id '{doc_id}'."
    with store.writing():
        remove_articles(store, [doc_id], IngestReport())
    return f"Deleted {doc_id}."


# An upload's zip may expand to at most this much and this many members: a "zip bomb" of a
# few MB that unpacks to gigabytes, or to millions of tiny files, is refused whole.
MAX_EXPANDED_BYTES = 200_000_000
MAX_MEMBERS = 5_000


class UploadRefused(ValueError):
    """An upload that is refused whole (nothing of it is kept)."""


def allowed_server_path(text: str, roots: list[Path] | None) -> Path:
    """The server path an admin typed, if it lies inside an allowed root once resolved
    (symlinks included); `roots` None means any path (the local app without logins)."""
    path = Path(text.strip()).expanduser()
    if not path.is_absolute():
        raise PermissionError(f"{text}: give an absolute path on the server")
    resolved = path.resolve()
    if roots is not None:
        inside = [r for r in roots if resolved.is_relative_to(r.expanduser().resolve())]
        if not inside:
            allowed = ":".join(str(r) for r in roots) or "none (set NEWSRAG_INGEST_ROOTS)"
            raise PermissionError(f"{text}: not inside a folder the operator allowed ({allowed})")
    if not resolved.exists():
        raise FileNotFoundError(f"{text}: no such file or folder on the server")
    return resolved


def unpack_uploads(
    files: list[str], folder: Path, max_bytes: int, max_total: int = MAX_EXPANDED_BYTES
) -> tuple[list[Path], list[str]]:
    """Move uploaded files into `folder`; a zip is unpacked there, member by member, keeping
    only article files, never writing outside the folder and never past `max_bytes` each.
    A zip over `max_total` expanded bytes or MAX_MEMBERS members is refused whole."""
    folder.mkdir(parents=True, exist_ok=True)
    kept: list[Path] = []
    problems: list[str] = []
    for name in files:
        upload = Path(name)
        if upload.suffix.lower() == ".zip":
            try:
                found, skipped = unzip_articles(upload, folder, max_bytes, max_total)
            except UploadRefused as refused:
                problems.append(str(refused))
                continue
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


def unzip_articles(
    archive: Path, folder: Path, max_bytes: int, max_total: int = MAX_EXPANDED_BYTES
) -> tuple[list[Path], list[str]]:
    """Unpack into a scratch folder first and move it into place only when the whole archive
    passed, so a refused or broken zip leaves nothing half-written behind."""
    scratch = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=folder))
    try:
        kept, problems = unzip_into(archive, scratch, max_bytes, max_total)
        final = folder / archive.stem
        if final.exists():
            shutil.rmtree(final)
        if kept:
            (scratch / archive.stem).rename(final)
        return [final / p.relative_to(scratch / archive.stem) for p in kept], problems
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def unzip_into(
    archive: Path, scratch: Path, max_bytes: int, max_total: int
) -> tuple[list[Path], list[str]]:
    kept: list[Path] = []
    problems: list[str] = []
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if len(members) > MAX_MEMBERS:
                raise UploadRefused(
                    f"{archive.name}: {len(members):,} members, more than the {MAX_MEMBERS:,} "
                    "an upload may hold; nothing was added"
                )
            declared = sum(m.file_size for m in members)
            if declared > max_total:
                raise UploadRefused(too_big(archive, declared, max_total))
            written = 0
            for member in members:
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
                target = scratch / archive.stem / Path(*inner.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                # the sizes in a zip's directory can lie: count what really comes out
                written += copy_bounded(bundle, member, target, max_bytes, max_total - written)
                if written > max_total:
                    raise UploadRefused(too_big(archive, None, max_total))
                kept.append(target)
    except zipfile.BadZipFile:
        problems.append(f"{archive.name}: not a readable zip file")
    return kept, problems


def copy_bounded(
    bundle: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, max_bytes: int, budget: int
) -> int:
    """Write at most `max_bytes` of the member; return how many bytes it expanded to, reading
    no further than one byte past the upload's remaining `budget`."""
    with bundle.open(member) as source, target.open("wb") as sink:
        data = source.read(min(max_bytes, budget) + 1)
        sink.write(data[:max_bytes])
    return len(data)


def too_big(archive: Path, declared: int | None, limit: int) -> str:
    size = f" expands to {declared / 1e6:,.0f} MB," if declared else " expands past"
    return (
        f"{archive.name}:{size} over the {limit / 1e6:,.0f} MB an upload may unpack to; "
        "nothing was added"
    )


def report_markdown(report: dict[str, Any], problems: list[str]) -> str:
    from ingest.pipeline import report_lines

    summary, *details = report_lines(report, problems)
    return "\n".join([f"**{summary}.**", *(f"- {line}" for line in details)])


def add_articles(pipeline: Pipeline, paths: list[Path], problems: list[str]) -> str:
    """Ingest files or folders with a tqdm progress bar (which the app's progress bar follows)."""
    from ingest.pipeline import ingest

    settings = pipeline.settings
    if not paths:
        from ingest.pipeline import IngestReport

        return report_markdown(IngestReport().as_dict(), problems or ["nothing to add"])
    from rag.lock import StoreBusy

    try:
        report = ingest(
            paths,
            pipeline.store,
            pipeline.retriever.embeddings,
            chunk_chars=settings.chunk_chars,
            max_file_bytes=settings.max_file_bytes,
            progress=True,
        )
    except StoreBusy as busy:
        return f"**Not added:** {busy}"
    return report_markdown(report.as_dict(), problems)
