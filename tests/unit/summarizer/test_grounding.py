from services.summarizer.grounding import GroundingGate, facts

SOURCES = {
    "a" * 32: "About 11,000 North Korean soldiers were sent to Kursk in late 2024.",
    "b" * 32: "Officials in Seoul said some 300 of the soldiers had been killed.",
}


def test_facts_are_numbers_number_words_and_names_not_the_opening_word():
    assert facts("Officials said half of the 11,000 troops left Kursk on Jan. 5.") == {
        "half",
        "11000",
        "Kursk",
        "Jan",
        "5",
    }


def test_a_sentence_is_supported_by_the_article_holding_all_its_facts():
    verdict = GroundingGate(SOURCES).check("In 2024, 11,000 North Korean soldiers went to Kursk.")
    assert verdict.grounded
    assert verdict.supporting == ("a" * 32,)


def test_an_unsupported_number_fails_the_gate():
    # The reference page's mistake: "half of the troops ... around 300 soldiers".
    verdict = GroundingGate(SOURCES).check("Up to half of the troops, around 300 soldiers, died.")
    assert not verdict.grounded
    assert verdict.unsupported == {"half"}


def test_facts_spread_over_two_articles_are_not_one_article_supporting_them():
    verdict = GroundingGate(SOURCES).check("Of 11,000 soldiers sent, 300 were killed.")
    assert not verdict.grounded
    assert verdict.unsupported == set()
