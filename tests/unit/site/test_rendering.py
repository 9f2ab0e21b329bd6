from services.site.rendering import make_environment, quoted


def test_a_passage_is_shown_in_quotation_marks():
    assert (
        quoted("The bridge was shut for 14 hours.")
        == "\u201cThe bridge was shut for 14 hours.\u201d"
    )


def test_a_passage_that_opens_with_a_quotation_gets_no_second_mark():
    passage = '"Facebook isn\'t killing people," the president said.'
    assert quoted(passage) == passage
    assert quoted("\u201cWe are ready,\u201d she said.") == "\u201cWe are ready,\u201d she said."


def test_the_marks_are_added_outside_the_escaping():
    template = make_environment().from_string("<p>{{ passage | quoted }}</p>")
    html = template.render(passage="<b>Tom & Jerry</b> met.")
    assert html == "<p>\u201c&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; met.\u201d</p>"
