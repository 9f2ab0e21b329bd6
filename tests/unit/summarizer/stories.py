"""A three-outlet story written for these tests (numbers and names chosen to be checked)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import make_article, make_story

HARBOUR = make_article(
    "https://harbour-news.example/bridge",
    source_id="harbour",
    source_name="Harbour News",
    title="Storm closes Oresund bridge for 14 hours",
    text=(
        "COPENHAGEN (Harbour News) - A storm with gusts of 140 km/h closed the Oresund bridge "
        "between Denmark and Sweden for 14 hours on Tuesday, stranding about 2,300 lorries.\n\n"
        "Photo: Getty Images\n\n"
        "The bridge operator said the closure was the longest since the bridge opened in 2000. "
        "Danish police asked drivers to stay off coastal roads until the wind eased. "
        "Rail services between Copenhagen and Malmo were also suspended for most of the day. "
        "Meteorologists at DMI said the storm was moving north towards Norway overnight."
    ),
    published_at=datetime(2021, 8, 10, 9, tzinfo=UTC),
    image_url="https://harbour-news.example/bridge.jpg",
)
NORDIC = make_article(
    "https://nordic-daily.example/oresund",
    source_id="nordic",
    source_name="Nordic Daily",
    title="Oresund bridge shut as storm hits Denmark and Sweden",
    text=(
        "The Oresund bridge was shut for 14 hours on Tuesday as a storm swept across Denmark "
        "and Sweden. About 2,300 lorries waited at both ends of the bridge, the operator said. "
        "Swedish rail operator SJ cancelled trains between Malmo and Copenhagen. "
        "Forecasters said the storm would weaken as it moved towards Norway."
    ),
    published_at=datetime(2021, 8, 10, 11, tzinfo=UTC),
)
COAST = make_article(
    "https://coast-times.example/storm",
    source_id="coast",
    source_name="Coast Times",
    title="Storm strands thousands of lorries at Oresund",
    text=(
        "Thousands of lorry drivers spent the night in their cabs after a storm closed the "
        "Oresund bridge. Danish police said no one was hurt on the bridge itself. "
        "The operator reopened the bridge at midnight after engineers checked its cables. "
        "Ferries between Helsingor and Helsingborg kept running throughout the storm."
    ),
    published_at=datetime(2021, 8, 10, 13, tzinfo=UTC),
    category_hint="world",
)
STORY = make_story(HARBOUR, NORDIC, COAST)
