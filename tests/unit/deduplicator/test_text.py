from services.deduplicator.minhash import MinHasher, estimated_jaccard
from services.deduplicator.text import (
    content_fingerprint,
    fingerprint_of,
    normalised,
    shingles,
    shingles_of,
    terms,
    tokens,
)

WIRE = (
    "WASHINGTON (AP) — The Senate on Tuesday approved a $1 trillion infrastructure bill "
    "after weeks of negotiations between Democrats and Republicans, sending the package to "
    "the House, where its fate is tied to a larger spending plan that progressives want "
    "passed first. The vote was 69 to 30, with 19 Republicans joining every Democrat."
)


def test_terms_weight_the_title_and_drop_stopwords():
    counted = terms("Senate passes infrastructure bill", "The Senate voted on the bill.")
    assert counted["senat"] == 4  # three from the title, one from the body
    assert "the" not in counted


def test_the_fingerprint_ignores_case_punctuation_and_spacing_only():
    a = content_fingerprint("Senate passes bill", WIRE)
    assert a == content_fingerprint("SENATE passes bill!", WIRE.replace(" ", "  ").upper())
    assert a != content_fingerprint("Senate passes bill", WIRE.replace("69 to 30", "70 to 29"))


def test_a_lightly_edited_copy_shares_a_band_and_an_unrelated_text_does_not():
    hasher = MinHasher()
    original = hasher.signature(shingles(WIRE))
    copy = hasher.signature(shingles(WIRE.replace("WASHINGTON (AP) — ", "") + " Read more."))
    other = hasher.signature(
        shingles(
            "A storm brought heavy rain to the coast on Monday, closing schools and roads as "
            "forecasters warned of flooding through the rest of the week across the region."
        )
    )
    assert estimated_jaccard(original, copy) > 0.7
    assert set(hasher.band_keys(original)) & set(hasher.band_keys(copy))
    assert not set(hasher.band_keys(original)) & set(hasher.band_keys(other))


def test_a_signature_is_the_same_in_every_process_and_release():
    # Signatures are kept in the journal and the snapshots: a copy found tomorrow is
    # compared with a signature computed today, maybe by an older release.
    text = "The quick brown fox jumps over the lazy dog while the band plays on"
    signature = MinHasher().signature(shingles(text))
    assert len(signature) == 128
    assert signature[:4] == [279418415, 62952417, 179368504, 195450903]
    assert sum(signature) == 22633193633


def test_articles_in_other_scripts_keep_their_letters_in_the_fingerprint():
    moscow = content_fingerprint("В Москве открылась новая линия метро", "Семь станций.")  # noqa: RUF001 (Russian)
    flood = content_fingerprint("Наводнение на Кубани", "Эвакуированы 2000 жителей.")
    assert moscow != flood
    assert content_fingerprint("Пожар в Афинах", "Текст") == content_fingerprint(
        "ПОЖАР в Афинах!", "текст"
    )
    assert normalised("Πυρκαγιά στην Αττική") == "πυρκαγια στην αττικη"  # accents folded
    assert normalised("मुंबई में भारी बारिश") == "मुंबई में भारी बारिश"  # vowel signs kept


def test_chinese_and_japanese_runs_are_taken_as_character_pairs():
    assert tokens("台风登陆上海") == ["台风", "风登", "登陆", "陆上", "上海"]
    assert tokens("東京で震度5強") == ["東京", "京で", "で震", "震度", "5", "強"]
    assert tokens("Tokyo 2026年") == ["Tokyo", "2026", "年"]


def test_terms_read_the_lead_of_the_body_as_its_first_tokens():
    body = "台风登陆上海 " + " ".join(f"word{n}" for n in range(300))
    counted = terms("", body, body_words=6)
    # The first word gives five pairs: the lead is those and the next word.
    assert sorted(counted) == sorted(["台风", "风登", "登陆", "陆上", "上海", "word0"])


def test_a_fingerprint_and_shingles_of_normalised_text_are_those_of_the_text():
    assert fingerprint_of(normalised("Title"), normalised(WIRE)) == content_fingerprint(
        "Title", WIRE
    )
    assert shingles_of(normalised(WIRE)) == shingles(WIRE)
    assert shingles_of(normalised("— … —")) == set()
