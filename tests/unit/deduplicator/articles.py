"""Articles of one event told by several outlets, a wire copy, and an unrelated one."""

from __future__ import annotations

from shared.events import ArticleFetched
from tests.factories import make_article

WIRE = (
    "The Senate on Tuesday approved a $1 trillion infrastructure bill after weeks of "
    "negotiations between Democrats and Republicans, sending the package to the House, where "
    "its fate is tied to a larger spending plan that progressives want passed first. The vote "
    "was 69 to 30, with 19 Republicans joining every Democrat in support of the measure."
)


def article(url: str, source: str, title: str, text: str) -> ArticleFetched:
    return make_article(url, source_id=source, title=title, text=text)


ORIGINAL = article(
    "https://apnews.com/a/senate-infrastructure",
    "ap",
    "Senate passes $1 trillion infrastructure bill",
    WIRE,
)
SYNDICATED = article(
    "https://news.example.com/senate-bill",
    "example",
    "Senate approves infrastructure bill",
    "WASHINGTON (AP) - " + WIRE + " Read more.",
)
OTHER_OUTLET = article(
    "https://foxnews.com/politics/senate-infrastructure-vote",
    "fox",
    "Senate passes bipartisan infrastructure bill, 19 Republicans join Democrats",
    "The Senate passed the $1 trillion bipartisan infrastructure bill on Tuesday in a 69-30 "
    "vote, with 19 Republicans joining Democrats. The bill now heads to the House.",
)
UNRELATED = article(
    "https://bbc.co.uk/news/storm",
    "bbc",
    "Storm Ida brings flooding to Louisiana",
    "Hurricane Ida made landfall in Louisiana on Sunday, knocking out power to a million homes "
    "and flooding towns along the coast as rescuers searched for stranded residents.",
)
