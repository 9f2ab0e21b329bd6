"""Made-up news events, each told by three outlets in their own words.

Every event has names of its own (a town, a person, a thing) and the outlets phrase it
differently, so which articles belong together is never in doubt: what the tests check
is that the service gets there under concurrency and crashes, not the clusterer's taste.
"""

from __future__ import annotations

from shared.events import ArticleFetched
from tests.factories import make_article
from tests.seed import seeded

OUTLETS = ("harbour-herald", "valley-post", "coast-times")

TOWNS = "Brackenford Ulvesund Quarrington Tessaly Morrowby Kelderwick Ashcombe Virelle".split()
PEOPLE = "Okonkwo Vasquez Lindqvist Haddad Moreau Tanaka Brennan Kowalczyk".split()
THINGS = "aqueduct lighthouse observatory ferry tramway granary funicular seawall".split()


def _tellings(town: str, person: str, thing: str, number: int) -> list[tuple[str, str]]:
    return [
        (
            f"{town} {thing} reopens after {number}-month repair",
            f"The {thing} in {town} reopened on Monday after a {number}-month repair, "
            f"mayor {person} said, thanking engineers who rebuilt its foundations.",
        ),
        (
            f"Mayor {person} cuts ribbon on restored {town} {thing}",
            f"Mayor {person} cut the ribbon on the restored {thing} of {town}, closed for "
            f"{number} months while crews replaced its crumbling foundations.",
        ),
        (
            f"{number} months on, {town}'s {thing} is open again",
            f"Residents of {town} crowded onto the {thing} as it opened again after "
            f"{number} months of work; {person}, the mayor, called it a new beginning.",
        ),
    ]


def events(count: int, run: str) -> list[list[ArticleFetched]]:
    """`count` events (at most eight), each a list of its three outlets' articles."""
    rng = seeded("events", count)  # the numbers told; `run` only keeps the URLs apart
    found = []
    for n, (town, person, thing) in enumerate(zip(TOWNS, PEOPLE, THINGS, strict=True)):
        if n == count:
            break
        tellings = _tellings(town, person, thing, rng.randint(3, 40))
        found.append(
            [
                make_article(
                    f"https://{outlet}.example/{run}/{town.lower()}-{thing}",
                    source_id=outlet,
                    title=title,
                    text=text,
                )
                for outlet, (title, text) in zip(OUTLETS, tellings, strict=True)
            ]
        )
    return found
