"""Answer verification on hand-made answers that cite wrong numbers, names and passages."""

from __future__ import annotations

from rag.passage import Passage
from rag.text import stems
from rag.verify import claim_terms, mentions, scales, verify_answer

NAM = Passage(
    "seed/1",
    0,
    "Azerbaijan chaired the Non-Aligned Movement (NAM) for 4 years. It handed the "
    "chairmanship to Uganda at the 19th Summit held in Kampala on 19-20 January.",
    title="NAM chair passes to Uganda",
)
MOON = Passage(
    "sci/1", 0, "China launched the Chang'e-6 probe to the Moon on 3 May 2024.", title="Moon probe"
)
QUESTION = stems("Who took over the NAM chair?")  # the topic a supporting sentence must touch


def test_supported_sentence_is_kept_with_its_evidence() -> None:
    result = verify_answer("Uganda took over the chair from Azerbaijan [1].", QUESTION, [NAM, MOON])
    assert result.text == "Uganda took over the chair from Azerbaijan [1]."
    assert result.cited == [1] and result.dropped == []
    assert result.evidence == {
        1: [
            "It handed the chairmanship to Uganda at the 19th Summit held in Kampala on "
            "19-20 January.",
            "Azerbaijan chaired the Non-Aligned Movement (NAM) for 4 years.",
        ]
    }


def test_invented_year_makes_the_sentence_unsupported() -> None:
    result = verify_answer("The summit was held on 19-20 January 2019 [1].", QUESTION, [NAM])
    assert result.text == "" and result.dropped == ["The summit was held on 19-20 January 2019."]


def test_invented_name_is_dropped_but_the_supported_sentence_stays() -> None:
    answer = "Uganda took over [1]. Ban Ki-moon handed it over in 2011 [1]."
    result = verify_answer(answer, QUESTION, [NAM])
    assert result.text == "Uganda took over [1]."
    assert result.dropped == ["Ban Ki-moon handed it over in 2011."]


def test_a_name_from_an_off_topic_passage_is_not_support() -> None:
    assert verify_answer("China [2].", QUESTION, [NAM, MOON]).text == ""


def test_wrong_citation_is_repaired_to_the_supporting_passage() -> None:
    result = verify_answer("Uganda took over the chair [2].", QUESTION, [MOON, NAM])
    assert result.text == "Uganda took over the chair [2]." and result.cited == [2]
    result = verify_answer("Uganda took over the chair [1].", QUESTION, [MOON, NAM])
    assert result.text == "Uganda took over the chair [2]." and result.cited == [2]


def test_wrong_number_is_caught() -> None:
    result = verify_answer("Azerbaijan chaired the NAM for 5 years [1].", QUESTION, [NAM])
    assert result.text == ""


def test_claim_terms_skip_a_sentence_opening_article() -> None:
    assert claim_terms("The summit in Kampala drew 120 leaders [1].") == ["Kampala", "120"]
    assert claim_terms("Yes.") == [] and claim_terms("No: “Uganda took over.”") == ["Uganda"]


DEAL = Passage(
    "biz/1",
    0,
    "Glazer bought the club in a deal worth £41m, paying 410 staff in 2041.",
    title="Deal",
)
DEAL_TOPIC = stems("How much was the Glazer deal worth?")


def test_a_figure_matches_in_its_other_written_form_but_not_at_another_scale() -> None:
    said = verify_answer("The deal was worth 41 million pounds [1].", DEAL_TOPIC, [DEAL])
    assert said.text == "The deal was worth 41 million pounds [1]."
    wrong_scale = verify_answer("The deal was worth £41bn [1].", DEAL_TOPIC, [DEAL])
    assert wrong_scale.text == ""


def test_a_figure_is_a_whole_number_not_a_piece_of_another() -> None:
    assert mentions("It cost £41m.", "41", "m") and not mentions("It cost £41m.", "41", "bn")
    assert not mentions("paying 410 staff in 2041", "41")
    assert not mentions("a 41.5% share", "41") and mentions("It was 41.", "41")
    assert verify_answer("Glazer paid 20 staff [1].", DEAL_TOPIC, [DEAL]).text == ""  # 2041
    assert scales("£41m, or 41 million pounds, and $2.5bn") == {"41": "m", "2.5": "bn"}


def test_a_question_or_a_restatement_of_it_answers_nothing() -> None:
    echoed = verify_answer("Who took over the NAM chair [1]?", QUESTION, [NAM])
    assert echoed.text == "" and echoed.dropped == ["Who took over the NAM chair?"]
    assert verify_answer("They took over the NAM chair [1].", QUESTION, [NAM]).text == ""
    assert verify_answer("Uganda took over [1].", QUESTION, [NAM]).text == "Uganda took over [1]."


def test_garble_with_no_name_or_figure_to_check_is_not_support() -> None:
    # words in neither the passage nor the question: the claim is not the passage's
    garbled = verify_answer("on theawdedetta riven up in the chair [1].", QUESTION, [NAM])
    assert garbled.text == ""
    # a paraphrase in the passage's words is
    said = verify_answer("the chairmanship was handed over at the summit [1].", QUESTION, [NAM])
    assert said.text == "the chairmanship was handed over at the summit [1]."


def test_a_sentence_names_the_asked_noun_in_its_own_or_a_longer_word() -> None:
    from rag.verify import names_asked_noun

    assert names_asked_noun("More than two million pre-orders were taken.", "order")
    assert names_asked_noun("The company and its rivals lead the market.", "firm")
    assert names_asked_noun("He was sentenced to five years.", "sentence")
    assert not names_asked_noun("A deal was struck in 2002.", "company")
    assert names_asked_noun("It fell to 1.8bn euros.", "level")  # a value noun: not required
    assert names_asked_noun("Anything at all.", None)
    assert names_asked_noun("It destroyed nearly 37,000 files last year.", "file")
    assert names_asked_noun("Up to 1,000 lives could be saved.", "life")
    assert names_asked_noun("Two cities bid for it.", "city")
    assert not names_asked_noun("The profile was updated.", "file")


COURT = Passage(
    "ent/1",
    0,
    "The singer was arrested with fellow musician Alan Wass on 2 February after a dispute. "
    "They are next due in court on 18 April.",
    title="Doherty due in court",
)


def test_a_courtesy_title_is_no_claim_and_the_surname_is_checked() -> None:
    topic = stems("When are Pete Doherty and Alan Wass next due in court?")
    assert claim_terms("Mr Wass is due in court on 18 April.") == ["Wass", "18", "April"]
    kept = verify_answer("Mr Wass is due in court on 18 April.", topic, [COURT])
    assert kept.text == "Mr Wass is due in court on 18 April [1]."
    assert verify_answer("Mr Jones is due in court on 18 April.", topic, [COURT]).text == ""
