"""The outlets a question names, and which of them the collection has no article from."""

from __future__ import annotations

from rag.attribution import named_outlets, outlet_key, unknown_outlets

OUTLETS = ["TechCrunch", "The Independent - Life and Style", "Cnbc | World Business News Leader"]


def test_outlets_framed_as_news_items_are_found() -> None:
    asked = (
        "Considering a New York Times article on bees and another by Forbes, and the "
        "'Polygon' article, did TechCrunch's coverage, reported by The Verge, agree?"
    )
    assert sorted(named_outlets(asked)) == [
        "Forbes",
        "New York Times",
        "Polygon",
        "TechCrunch",
        "Verge",
    ]


def test_organisations_places_titles_and_months_are_not_outlets() -> None:
    for question in (
        "What did a report by the IMF say about gold?",
        "According to the Treasury, how much will the plan cost?",
        "Which story in March named the new chief executive?",
        "Does the 'NBA Rookie of the Year Odds' article agree with the other one?",
        "What did the Prime Minister say about the article of faith?",
    ):
        assert named_outlets(question) == [], question


def test_only_outlets_without_an_article_in_the_collection_are_unknown() -> None:
    asked = "Did the article from The Independent - Life and Style agree with a Wired article?"
    assert unknown_outlets(asked, OUTLETS) == ["Wired"]
    assert unknown_outlets("Did CNBC's article say so, as a TechCrunch piece did?", OUTLETS) == []
    assert unknown_outlets("What did an ESPN article say?", []) == ["ESPN"]
    assert outlet_key("The Independent - Life and Style") == "independent"
    assert outlet_key("Cnbc | World Business News Leader") == "cnbc"
