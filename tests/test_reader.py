"""The reader's rules on small hand-written passages; no models except the one marked test."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import pytest

from rag.asked import asked_kind, choice_options
from rag.candidates import extract, kind_fit, new_spans, offers_asked, question_words
from rag.reader import Evidence, rank_candidates, rank_sentences, read


def fake_embed(texts: list[str]) -> list[list[float]]:
    """Deterministic bag-of-words hashing: a stand-in for MiniLM with the same interface."""
    out = []
    for text in texts:
        vec = [0.0] * 64
        for word in re.findall(r"\w+", text.lower()):
            vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
        out.append(vec)
    return out


def spans(sentence: str) -> list[tuple[str, str]]:
    return [(s.text, s.kind) for s in extract(sentence)]


def test_money_with_the_unit_before_and_after() -> None:
    got = spans("It cost £41m, or 41 million pounds, and then $2.5bn and 1.8bn euros.")
    assert ("£41m", "money") in got
    assert ("41 million pounds", "money") in got
    assert ("$2.5bn", "money") in got
    assert ("1.8bn euros", "money") in got
    assert ("20bn baht", "money") in spans("Damage was put at 20bn baht ($510m).")


def test_percent_duration_scores_and_ordinals() -> None:
    got = spans(
        "Sales rose 5% in six years; they won 5-0 for the 999th time over an 18-month loan."
    )
    assert ("5%", "percent") in got and ("six years", "duration") in got
    assert ("5-0", "number") in got and ("999th", "ordinal") in got
    assert ("18-month", "duration") in got


def test_lowercase_number_words_are_candidates() -> None:
    assert ("nine", "number") in spans("She appeared in nine of the films.")
    assert ("two million", "number") in spans("Nintendo took two million orders.")


def test_dates_with_ranges_days_and_years() -> None:
    got = spans("The summit met on 19-20 January, again in March 2005, and on Friday 11 March.")
    assert ("19-20 January", "date") in got
    assert ("March 2005", "date") in got
    assert ("Friday 11 March", "date") in got
    assert ("2004", "year") in spans("In 2004 the firm grew.")


def test_multi_word_names_and_possessives() -> None:
    got = [t for t, k in spans("Intel's Jeff Ravencraft met the Bank of England and AS Roma.")]
    assert "Jeff Ravencraft" in got and "Intel" in got
    assert "Bank of England" in got and "AS Roma" in got


def test_sentence_openers_are_not_names() -> None:
    got = [s.text for s in extract("Using the phone was hard.", frozenset({"using"}))]
    assert got == []
    assert [s.text for s in extract("Using Linux, IBM grew.")] == ["Using Linux", "IBM"]
    assert [t for t, _ in spans("The BBC said so.")] == ["BBC"]


def test_asked_kinds() -> None:
    assert asked_kind("Who is the director of Spamhaus?") == "person"
    assert asked_kind("How many Carry On films did she appear in?") == "number"
    assert asked_kind("How much did Fox pay for the rights?") == "money"
    assert asked_kind("How much gold does the IMF hold?") == "number"  # a quantity
    assert asked_kind("How much company money did they use?") == "money"
    assert asked_kind("How much of that came from his column?") == "money"
    assert asked_kind("How big was the record US budget deficit last year?") == "money"
    assert asked_kind("How big a reward was offered after the burglary?") == "money"
    assert asked_kind("How big is the stadium?") == "number"
    # the noun after "what is/was the": a date, a sum
    assert asked_kind("What is the date of the 2020 NBA Draft?") == "date"
    assert asked_kind("What was Tesla's revenue in Q1 2021?") == "money"
    assert asked_kind("What rate of tax did they propose?") == "percent"
    assert asked_kind("What was the name of the firm whose profits rose?") != "money"
    assert asked_kind("In which year did he win?") == "year"
    assert asked_kind("Which German city is Nokia using?") == "place"
    assert asked_kind("How long is the loan deal?") == "duration"
    assert asked_kind("By what date must voters register?") == "date"


def test_yes_no_kind_and_answer() -> None:
    assert asked_kind("Did Nokia trial the system in Hanau?") == "yesno"
    assert asked_kind("Was it Nokia or Philips?") == "other"  # named options, not yes/no
    assert asked_kind("Has its view remained consistent or inconsistent?") == "choice"
    assert asked_kind("Was it reported before or after the vote in May?") == "choice"
    assert choice_options("Did they agree or disagree on the cut?") == ("agree", "disagree")
    # an "or" inside the claim, or "... or not", leaves a yes/no question
    assert asked_kind("Can bettors back a team leading at half time or total points?") == "yesno"
    assert asked_kind("Does he value past experiences, curated or not, for preparation?") == "yesno"


def test_a_yes_no_question_may_open_with_a_clause_or_join_claims_with_or() -> None:
    assert asked_kind("After the BBC reported the merger, did ITV confirm it?") == "yesno"
    assert asked_kind("Between the two reports, was there a change in the price?") == "yesno"
    quoted = "After Polygon wrote 'the levels collapse, breaking the rules,' did Engadget agree?"
    assert asked_kind(quoted) == "yesno"  # the fronted clause ends inside its quotation
    joined = "Did the first article praise the deal, or does the second one say it is too small?"
    assert asked_kind(joined) == "yesno"
    # a wh-word before the comma asks for its own kind of answer
    assert asked_kind("On what date, according to Philippe Sands, did they meet?") == "date"
    assert asked_kind("Considering both, which network, known for news, did she join?") != "yesno"
    reading = read("Did Nokia trial the system in Hanau?", ["Nokia trialled it in Hanau."], None)
    assert reading.asked == "yesno" and reading.answer is not None
    assert reading.answer.text == "yes"
    said_no = read("Did Nokia trial it in Berlin?", ["Nokia did not trial it in Berlin."], None)
    assert said_no.answer is not None and said_no.answer.text == "no"


def test_a_negative_claim_is_confirmed_by_negative_evidence_only() -> None:
    denied = read("Did Nokia not trial it in Berlin?", ["Nokia did not trial it in Berlin."], None)
    assert denied.answer is not None and denied.answer.text == "yes"
    claim = "Did the article report the deal without mentioning its price?"
    stated = read(claim, ["The deal was reported with its price of £5m."], None)
    assert stated.answer is not None and stated.answer.text == "no"


def test_a_full_name_fits_who_better_than_an_acronym() -> None:
    names = {s.text: s for s in extract("ITV's Claudia Rosencrantz spoke.")}
    assert kind_fit("person", names["Claudia Rosencrantz"]) > kind_fit("person", names["ITV"])


LEAD = (
    "Spamhaus director steps in\n\n"
    "The director of the anti-spam group Spamhaus spoke about spam on Monday.\n\n"
    "The group listed many spammers. It is run by Steve Linford, who founded it in 1998."
)


def test_lead_restating_the_question_loses_to_the_answer_sentence() -> None:
    question = "Who is the director of the anti-spam group Spamhaus?"
    reading = read(question, [LEAD], fake_embed)
    assert reading.answer is not None and reading.answer.text == "Steve Linford"
    assert "Steve Linford" in reading.answer.sentence  # shown as the evidence, not the lead


def test_new_candidate_bonus_decides_between_equal_sentences() -> None:
    question = "How many films did the villagers make?"
    passage = "The villagers make films together. The villagers made 60 films."
    best = rank_sentences(question, [passage], None)[0]
    assert "60" in best.text


def test_question_words_are_not_candidates() -> None:
    question = "Which club did Mido join from AS Roma?"
    passage = "Mido joined Tottenham from AS Roma on loan."
    reading = read(question, [passage], fake_embed)
    texts = [c.text for c in reading.candidates]
    assert "Mido" not in texts and "AS Roma" not in texts
    assert reading.answer is not None and reading.answer.text == "Tottenham"


def test_possessive_in_question_rules_out_the_name() -> None:
    reading = read("Who is ITV's controller?", ["ITV named Claudia Rosencrantz controller."], None)
    assert "ITV" not in [c.text for c in reading.candidates]


def test_candidate_next_to_the_question_words_wins() -> None:
    question = "Who refereed the match?"
    ev = Evidence("Arsenal's Sol Campbell scored in a match refereed by Howard Webb.", 0, 1.0, 0, 0)
    assert rank_candidates(question, [ev])[0].text == "Howard Webb"


def test_features_are_present_without_candidates() -> None:
    reading = read("Who won?", ["nothing here at all."], None)
    assert reading.answer is None
    assert {"cand_score", "margin", "kind_fit", "in_question", "llr"} <= set(reading.features)


class FixedScorer:
    """Prefers one candidate, to check that the scorer's gain re-ranks."""

    def __init__(self, liked: str) -> None:
        self.liked = liked

    def score(self, question: str, sentence: str, candidates: Sequence[str]) -> list[float]:
        return [10.0 if c == self.liked else 0.0 for c in candidates]

    def yes_no(self, question: str, sentence: str) -> float:
        return -1.0


def test_scorer_reranks_and_reports_its_margin() -> None:
    passage = "Tottenham beat Nottingham Forest and Newcastle United in the cup."
    scorer = FixedScorer("Newcastle United")
    reading = read("Which club won?", [passage], None, scorer, ranker=None)  # hand weights
    assert reading.answer is not None and reading.answer.text == "Newcastle United"
    assert reading.features["llr_margin"] == 10.0


@pytest.mark.models
@pytest.mark.xfail(
    reason="passes alone, fails after the other model tests in one process (the scorer rewinds "
    "llama.cpp's KV cache by hand); the scorer is not wired into the pipeline: see the issue",
    strict=False,
)
def test_gemma_scorer_prefers_the_supported_answer() -> None:
    from rag.scorer import GemmaScorer

    scorer = GemmaScorer.bundled()
    sentence = "The director of Spamhaus, Steve Linford, said the BBC had listed 200 spammers."
    llrs = scorer.score("Who is the director of Spamhaus?", sentence, ["Steve Linford", "BBC"])
    assert llrs[0] > llrs[1]
    # (its yes/no log-odds are not asserted: on this very example they came out -0.22, wrong;
    # yes/no questions are not wired into the pipeline until that is measured)


def test_the_acronym_of_a_name_in_the_question_is_no_answer() -> None:
    passages = ["Uganda took over the NAM chair from Azerbaijan at the summit in Kampala."]
    got = read("Which country took over the Non-Aligned Movement chair?", passages, fake_embed)
    assert got.answer is not None and got.answer.text == "Uganda"
    assert all(c.text != "NAM" for c in got.candidates)


def test_a_title_the_question_already_says_is_not_part_of_the_answer() -> None:
    asked = question_words("Which MSP wants a bill to keep big stores shut on 25 December?")
    said = "MSP Karen Whitefield wants to ensure only essential staff are at work."
    assert [span.text for span, _ in new_spans(said, "name", asked)] == ["Karen Whitefield"]
    # a title the question does not say stays: it may be what tells the answer apart
    spans = new_spans("Chancellor Gordon Brown said so.", "person", question_words("Who said so?"))
    assert [span.text for span, _ in spans] == ["Chancellor Gordon Brown"]


def test_a_figure_after_a_name_is_part_of_the_name_not_a_count() -> None:
    said = [
        (s.text, s.kind) for s in extract("The virus disables Nokia 3220 phones, 25 owners said.")
    ]
    assert said == [("Nokia 3220", "name"), ("25", "number")]
    # after a month or a day the figure is still a figure
    assert ("May 5", "date") in [(s.text, s.kind) for s in extract("It rose on May 5 by 3 points.")]
    assert [s.text for s in extract("It happened on Saturday 25 people died.")] == ["25 people"]


def test_a_name_that_starts_with_a_digit_is_kept_whole() -> None:
    said = "The software was developed by a UK company, 2d3, with 3Com."
    names = [span.text for span, _ in new_spans(said, "org", set())]
    assert "2d3" in names and "3Com" in names and "2d" not in names


def test_a_capitalised_preposition_opening_a_sentence_is_no_name() -> None:
    said = "With all the other services coming, Telewest launched it in Glasgow."
    names = [span.text for span, _ in new_spans(said, "place", set())]
    assert "With" not in names and "Glasgow" in names


def test_a_role_the_question_says_is_cut_from_the_name_it_precedes() -> None:
    asked = question_words("Which striker scored twice against Forest?")
    said = "Striker Mido scored twice against Forest."
    assert [span.text for span, _ in new_spans(said, "person", asked)] == ["Mido"]
    # a firm's role too, though no person holds it
    asked = question_words("Which brewer bought the Russian stake?")
    said = "Brewer Interbrew bought the Russian stake."
    assert [span.text for span, _ in new_spans(said, "org", asked)] == ["Interbrew"]


def test_a_sentence_adverb_opening_a_sentence_is_no_name() -> None:
    said = "Finally, a deal to turn it into an arena was struck."
    assert not [span for span, _ in new_spans(said, "org", set())]
    assert offers_asked("Finally, Anschutz struck the deal.", "org", "Which company struck it?")


def test_pence_and_cents_are_money() -> None:
    got = spans("It sells for 79p, with Apple giving a further 70p, and 10 cents a share.")
    assert ("70p", "money") in got and ("79p", "money") in got
    assert ("10 cents", "money") in got
    assert kind_fit("money", next(s for s in extract("a further 70p") if s.text == "70p")) == 1.0
    assert ("MP3p", "name") in spans("The MP3p player.")  # a digit inside a word is no price


def test_a_compounds_number_is_whole() -> None:
    assert ("2,700", "number") in spans("He played to a 2,700-strong audience in Paris.")
    assert ("4-3", "number") in spans("They won 4-3 at home.")  # a score stays a score
    assert ("1,200 copies", "number") in spans("It sold 1,200 copies.")


def test_a_name_may_join_its_words_with_of_the() -> None:
    got = [
        t for t, _ in spans("He told the News of the World about the Chancellor of the Exchequer.")
    ]
    assert "News of the World" in got and "Chancellor of the Exchequer" in got


def test_a_person_sharing_only_a_first_name_with_the_question_is_someone_new() -> None:
    question = "Who replaced Simon Danielli on the wing?"
    ev = Evidence(
        "Scotland made a change, Simon Webster replacing Simon Danielli on the wing.", 0, 1, 0, 0
    )
    best = rank_candidates(question, [ev])[0]
    assert best.text == "Simon Webster" and best.in_question == 0.5
    assert best.signals["new_surname"] == 1.0
    ev = Evidence("Danielli's coach, Frank Hadden, named Simon Danielli on the wing.", 0, 1, 0, 0)
    named = {c.text: c.signals["new_surname"] for c in rank_candidates(question, [ev])}
    assert named.get("Frank Hadden") == 0.0  # nothing of it in the question: new anyway


def test_only_a_persons_name_gets_a_new_surname() -> None:
    question = "Who won the World Cup Final in 2014?"
    ev = Evidence("The World Cup Brazil hosted ended with Germany beating Argentina.", 0, 1, 0, 0)
    signals = {c.text: c.signals["new_surname"] for c in rank_candidates(question, [ev])}
    assert all(value == 0.0 for value in signals.values())
