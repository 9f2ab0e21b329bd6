from services.fetcher.decoding import decode_body


def test_a_correct_declaration_is_used():
    assert decode_body("Zürich".encode(), "text/html; charset=UTF-8") == ("Zürich", "utf-8")


def test_a_wrong_declaration_falls_back_to_a_charset_that_decodes():
    body = "<p>Die Bürger von Köln und München haben gewählt.</p>".encode("latin-1")
    text, charset = decode_body(body, "text/html; charset=utf-8")
    assert "Bürger von Köln und München" in text
    assert charset == "cp1252"


def test_the_pages_own_meta_charset_serves_when_the_header_names_none():
    body = '<meta charset="windows-1251"><p>Привет, мир</p>'.encode("cp1251")
    assert "Привет, мир" in decode_body(body, "text/html")[0]


def test_a_byte_order_mark_wins():
    assert decode_body("hello".encode("utf-8-sig"), "text/html; charset=latin-1")[0] == "hello"


def test_a_wrongly_declared_cyrillic_page_is_detected():
    russian = "Привет мир, как дела у вас сегодня"  # noqa: RUF001 - Cyrillic on purpose
    assert decode_body(russian.encode("cp1251"), "text/html; charset=utf-8") == (russian, "cp1251")


def test_a_page_labelled_iso_8859_1_is_read_as_windows_1252_as_browsers_read_it():
    typeset = "It\u2019s \u201cquoted\u201d \u2014 5 \u20ac"
    text, charset = decode_body(typeset.encode("cp1252"), "text/html; charset=ISO-8859-1")
    assert (text, charset) == (typeset, "cp1252")
