from services.summarizer.boilerplate import boilerplate_documents

WAYBACK = (
    "Starting in 1996, Alexa Internet has been donating their crawl data to the Internet "
    "Archive. Flowing in every day, these data are added to the Wayback Machine after an "
    "embargo period."
)
STORM = "A storm closed the Oresund bridge between Denmark and Sweden for 14 hours on Tuesday."
STORM_TOO = "The Oresund bridge between Denmark and Sweden was shut by a storm on Tuesday."
STORM_THREE = "Lorries waited at the Oresund bridge in Denmark and Sweden during the storm."
RECIPE = "Whisk the eggs with sugar, fold in flour and bake the sponge for twenty minutes."


def test_a_web_archive_banner_is_boilerplate():
    assert boilerplate_documents([WAYBACK, STORM, STORM_TOO]) == {0}


def test_a_page_sharing_no_words_with_the_story_is_boilerplate():
    assert boilerplate_documents([STORM, STORM_TOO, RECIPE, STORM_THREE]) == {2}


def test_every_document_of_a_real_story_is_kept():
    assert boilerplate_documents([STORM, STORM_TOO, STORM_THREE]) == set()


def test_a_page_printed_twice_is_judged_against_its_twin_too():
    # Both prints are read once; each is still compared with the rest, its twin included.
    assert boilerplate_documents([STORM, STORM, RECIPE]) == {2}


def test_the_one_unrelated_page_of_a_large_story_is_boilerplate():
    reports = [f"{STORM} Report {n} of the closure." for n in range(40)]
    assert boilerplate_documents([*reports[:25], RECIPE, *reports[25:]]) == {25}
