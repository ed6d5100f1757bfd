from __future__ import annotations

from ingest.chunking import chunk_article, embedding_text
from ingest.loaders import Article
from rag.text import split_sentences


def article(text: str) -> Article:
    return Article("a/1", "Title", "2024-01-20", "Desk", "", text)


def test_sentences_split_on_stops_but_not_on_abbreviations_or_initials() -> None:
    text = 'Mr. Smith met U.S. officials. J. K. Rowling spoke! Was it 4.5%? Yes "it was." Done.'
    assert split_sentences(text) == [
        "Mr. Smith met U.S. officials.",
        "J. K. Rowling spoke!",
        "Was it 4.5%?",
        'Yes "it was."',
        "Done.",
    ]


def test_chunks_keep_sentences_whole_and_stay_under_the_limit() -> None:
    sentences = [f"Sentence {i} says something about the budget vote." for i in range(60)]
    chunks = chunk_article(article(" ".join(sentences)), max_chars=300)
    assert len(chunks) > 5
    assert [c.number for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert len(chunk.text) <= 300
        assert chunk.text.endswith(".") and chunk.text[0].isupper()
        assert all(s in sentences for s in split_sentences(chunk.text))
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)


def test_short_boundary_sentence_is_repeated_in_the_next_chunk() -> None:
    sentences = [f"Short fact {i} here." for i in range(40)]
    chunks = chunk_article(article(" ".join(sentences)), max_chars=200)
    last_of_first = split_sentences(chunks[0].text)[-1]
    assert split_sentences(chunks[1].text)[0] == last_of_first


def test_overlong_sentence_is_cut_at_words() -> None:
    chunks = chunk_article(article("word " * 500), max_chars=200)
    assert all(len(c.text) <= 200 for c in chunks)
    assert sum(c.text.count("word") for c in chunks) == 500


def test_embedding_text_carries_title_source_and_date() -> None:
    a = article("Uganda took the chair.")
    (chunk,) = chunk_article(a)
    assert embedding_text(a, chunk) == "Title | Desk | 2024-01-20\nUganda took the chair."
