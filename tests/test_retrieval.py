"""Hybrid retrieval: fusion arithmetic, filters in both indexes, time scopes, follow-ups, and the
lexical index staying consistent with Chroma (real Chroma, and SQLite or PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.pipeline import ingest
from rag import lexical
from rag.chain import Pipeline
from rag.config import Settings
from rag.followup import needs_context, standalone_query, validate_history
from rag.passage import Passage
from rag.retrieval import Filters, NewsRetriever, first_per_article, reciprocal_rank_fusion
from rag.store import NewsStore, open_store
from rag.timescope import TimeScope, parse_time_scope
from tests.conftest import HashingEmbeddings, write


@pytest.fixture
def settings(store_settings: Settings) -> Settings:
    """Every test here runs on the embedded store, on a real Chroma server, and on that server
    with the records in PostgreSQL."""
    return store_settings


def test_rrf_arithmetic_on_hand_worked_rankings() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["d"] == pytest.approx(1 / 62)
    assert sorted(fused, key=fused.__getitem__, reverse=True) == ["b", "a", "d", "c"]


def test_first_per_article_keeps_rank_order_and_best_chunk() -> None:
    hits = [("a", 3), ("b", 0), ("a", 1), ("c", 2), ("b", 5)]
    assert list(first_per_article(hits).items()) == [("a", 3), ("b", 0), ("c", 2)]


def test_fts_query_quotes_words_and_drops_stopwords() -> None:
    assert lexical.fts_query('Who took over the "NAM" chair?') == '"took" OR "nam" OR "chair"'
    assert lexical.fts_query("the of and") is None


def corpus(root: Path) -> Path:
    write(
        root / "a" / "budget.md",
        "---\ntitle: Council budget\ndate: 2023-05-02\nsource: Herald\n"
        "---\n\nThe council approved the school budget after a long debate.\n",
    )
    write(
        root / "a" / "budget-2024.md",
        "---\ntitle: Council budget vote\ndate: 2024-05-02\n"
        "source: Courier\n---\n\nThe council approved the school budget after a long debate.\n",
    )
    write(
        root / "b" / "chip.txt",
        "Chip maker XJ-9000 launch\n\nThe XJ-9000 processor ships in May.\n",
    )
    return root


@pytest.fixture
def pipeline(tmp_path: Path, settings: Settings) -> Pipeline:
    embeddings = HashingEmbeddings()
    store = open_store(settings, "fake")
    ingest([corpus(tmp_path / "news")], store, embeddings)
    return Pipeline(settings, NewsRetriever(store=store, embeddings=embeddings), None)


def ids(passages: list[Passage]) -> list[str]:
    return [p.doc_id for p in passages]


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_filters_apply_in_every_mode(pipeline: Pipeline, mode: str) -> None:
    pipeline.retriever.mode = mode  # type: ignore[assignment]
    search = pipeline.retriever.search
    assert ids(search("council school budget", 5, Filters(since="2024-01-01"))) == ["a/budget-2024"]
    assert ids(search("council school budget", 5, Filters(until="2023-12-31"))) == ["a/budget"]
    assert ids(search("council school budget", 5, Filters(source="Herald"))) == ["a/budget"]
    assert search("council school budget", 5, Filters(source="Nobody")) == []


def test_lexical_mode_finds_a_rare_product_code(pipeline: Pipeline) -> None:
    pipeline.retriever.mode = "lexical"
    assert ids(pipeline.retriever.search("XJ-9000", 5)) == ["b/chip"]


def test_a_named_year_boosts_articles_from_that_year(pipeline: Pipeline) -> None:
    for year, expected in (("2023", "a/budget"), ("2024", "a/budget-2024")):
        question = pipeline.question(f"What did the council approve for schools in {year}?")
        assert question.scope is not None and question.scope.since == f"{year}-01-01"
        found = pipeline.retrieve(question)
        assert ids(found)[0] == expected and found[0].in_time_scope is True


def test_latest_prefers_the_newest_article(pipeline: Pipeline) -> None:
    question = pipeline.question("latest news on the council school budget")
    assert question.scope == TimeScope(latest=True, phrase="latest")
    assert ids(pipeline.retrieve(question))[0] == "a/budget-2024"


def test_answer_says_how_the_time_was_used(pipeline: Pipeline) -> None:
    answer = pipeline.ask("What did the council approve in 2023?").answer()
    assert answer.time_scope == {
        "phrase": "in 2023",
        "since": "2023-01-01",
        "until": "2023-12-31",
        "latest": False,
        "applied": "boost",
    }
    assert answer.sources[0].in_time_scope is True


@pytest.mark.parametrize(
    ("question", "newest", "expected"),
    [
        ("What happened in January 2024?", None, ("2024-01-01", "2024-01-31", False)),
        ("Who led the party in 2005?", None, ("2005-01-01", "2005-12-31", False)),
        ("What did the bank do last year?", "2024-12-28", ("2023-01-01", "2023-12-31", False)),
        ("What happened last month?", "2024-03-10", ("2024-02-01", "2024-02-29", False)),
        ("What is the latest on the summit?", None, (None, None, True)),
    ],
)
def test_time_expressions_in_questions(question: str, newest: str | None, expected: tuple) -> None:
    scope = parse_time_scope(question, newest)
    assert scope is not None and (scope.since, scope.until, scope.latest) == expected


def test_questions_without_time_have_no_scope() -> None:
    assert parse_time_scope("Who took over the NAM chair?", "2024-12-28") is None
    assert parse_time_scope("What did the bank do last year?", None) is None  # nothing dated


def test_follow_ups_become_standalone_queries() -> None:
    history = [
        {"role": "user", "content": "Which polling firm carried out the BBC survey on trust?"},
        {"role": "assistant", "content": "The poll was conducted by ICM."},
    ]
    query = standalone_query("How many adults did it question?", history)  # type: ignore[arg-type]
    assert query.startswith("Which polling firm carried out") and "ICM" in query
    assert query.endswith("How many adults did it question?")
    assert needs_context("And how many of them were convicted?")
    assert needs_context("Which auctioneers ran that sale?")
    assert not needs_context("Which auctioneers sold the Hendrix Stratocaster guitar?")
    standalone = "Which auctioneers sold the Hendrix Stratocaster guitar?"
    assert standalone_query(standalone, history) == standalone  # type: ignore[arg-type]


def test_history_is_validated_with_clear_messages() -> None:
    assert validate_history([{"role": "user", "content": "hi"}]) == [
        {"role": "user", "content": "hi"}
    ]
    with pytest.raises(ValueError, match="history turn 1 needs role"):
        validate_history([{"role": "system", "content": "x"}])
    with pytest.raises(ValueError, match="must be a JSON list"):
        validate_history({"role": "user"})


def lexical_ids(store: NewsStore) -> list[str]:
    return sorted(f"{d}:{c}" for d, c in store.records.lexical_keys())


def chroma_ids(store: NewsStore) -> list[str]:
    return sorted(store.collection.get(include=[])["ids"])


def test_lexical_index_follows_add_replace_and_prune(tmp_path: Path, settings: Settings) -> None:
    embeddings = HashingEmbeddings()
    folder = corpus(tmp_path / "news")
    write(
        folder / "long.txt", "Long\n\n" + " ".join(f"Fact {i} is stated here." for i in range(90))
    )
    store = open_store(settings, "fake")
    ingest([folder], store, embeddings, chunk_chars=300)
    assert lexical_ids(store) == chroma_ids(store) and len(chroma_ids(store)) > 5

    write(folder / "long.txt", "Long\n\nNow it is short.\n")  # replace: fewer chunks
    (folder / "b" / "chip.txt").unlink()
    ingest([folder], store, embeddings, chunk_chars=300, prune=True)
    assert (
        lexical_ids(store)
        == chroma_ids(store)
        == [
            "a/budget-2024:0",
            "a/budget:0",
            "long:0",
        ]
    )
    assert store.records.lexical_search("XJ-9000", 5, Filters()) == []
    assert [h.doc_id for h in store.records.lexical_search("short", 5, Filters())] == ["long"]
    assert store.records.lexical_count() == 3


def clear_lexical_index(settings: Settings, store: NewsStore) -> None:
    """Make the store look like one written before the lexical index existed."""
    if settings.database_dsn:
        import psycopg

        with psycopg.connect(settings.database_dsn) as db:
            db.execute("DELETE FROM chunks_lex")
            db.execute("UPDATE store_state SET value = 0 WHERE key LIKE 'lex_%'")
    else:
        with store.records.db:  # type: ignore[attr-defined]
            store.records.db.execute("DELETE FROM chunks_fts")  # type: ignore[attr-defined]


def test_store_from_before_the_lexical_index_is_backfilled_once(
    tmp_path: Path, settings: Settings
) -> None:
    store = open_store(settings, "fake")
    ingest([corpus(tmp_path / "news")], store, HashingEmbeddings())
    clear_lexical_index(settings, store)
    assert store.records.lexical_count() == 0
    reopened = open_store(settings, "fake")
    assert lexical_ids(reopened) == chroma_ids(reopened)
    assert reopened.backfill_lexical_index() == 0  # already there: nothing rebuilt


def test_cli_ask_takes_history_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.cli import app

    monkeypatch.setattr("rag.models.make_embeddings", lambda *a, **k: HashingEmbeddings())
    monkeypatch.setattr("rag.models.make_llm", lambda settings: None)
    runner = CliRunner()
    data = str(tmp_path / "data")
    runner.invoke(app, ["ingest", str(corpus(tmp_path / "news")), "--data-dir", data])
    history = write(
        tmp_path / "h.json",
        json.dumps(
            [
                {"role": "user", "content": "Which processor ships in May?"},
                {"role": "assistant", "content": "The XJ-9000."},
            ]
        ),
    )
    result = runner.invoke(
        app, ["ask", "And who makes it?", "--history", str(history), "--json", "--data-dir", data]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["search_query"].startswith("Which processor ships in May?")
    assert answer["sources"][0]["doc_id"] == "b/chip"
    bad = write(tmp_path / "bad.json", '[{"role": "robot", "content": "x"}]')
    result = runner.invoke(app, ["ask", "Why?", "--history", str(bad), "--data-dir", data])
    assert result.exit_code == 2 and "history turn 1 needs role" in result.stderr


def test_sources_named_in_a_question_are_found() -> None:
    from rag.retrieval import mentioned_sources

    sources = ["Cnbc | World Business News Leader", "TechCrunch", "The Verge", "bbc", "Fortune"]
    question = "Did TechCrunch and Cnbc both report the trial? And the verge?"
    assert mentioned_sources(question, sources) == [
        "Cnbc | World Business News Leader",
        "TechCrunch",
        "The Verge",
    ]
    assert mentioned_sources("Is this a fortunate outcome?", sources) == []


def test_a_named_source_lifts_its_article(tmp_path: Path, settings: Settings) -> None:
    embeddings = HashingEmbeddings()
    folder = tmp_path / "news"
    for i in range(6):
        write(
            folder / f"h{i}.md",
            f"---\ntitle: Trial day {i}\nsource: Herald\n---\n\n"
            f"The trial of the founder continued on day {i} with witnesses.\n",
        )
    write(
        folder / "courier.md",
        "---\ntitle: Founder on the stand\nsource: Courier\n---\n\n"
        "The founder spoke in his own defence.\n",
    )
    store = open_store(settings, "fake")
    ingest([folder], store, embeddings)
    retriever = NewsRetriever(store=store, embeddings=embeddings)
    question = "What did the trial of the founder hear from witnesses, as the Courier reported?"
    assert "courier" in ids(retriever.search(question, 3))
