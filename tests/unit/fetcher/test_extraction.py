from services.fetcher.extraction import extract_article

PAGE = """<html lang="en-GB"><head><title>Storm closes bridge | Harbour News</title>
<link rel="canonical" href="https://harbour.example/storm">
<meta property="og:image" content="https://harbour.example/storm.jpg">
<meta name="author" content="Ann Lee">
<meta property="article:published_time" content="2021-08-10T09:30:00Z"></head>
<body><nav>Home News Sport Weather</nav><article><h1>Storm closes bridge</h1>
<p>A storm with gusts of 140 km/h closed the Oresund bridge between Denmark and Sweden for
14 hours on Tuesday, stranding about 2,300 lorries at both ends.</p>
<p>The bridge operator said the closure was the longest since the bridge opened in 2000.
<div><b>unclosed <i>tags</article><footer>Copyright Harbour News</footer></body>"""


def test_main_text_and_metadata_come_out_of_a_page_with_broken_html():
    page = extract_article(PAGE, "https://harbour.example/storm?utm_source=rss")
    assert page is not None
    assert page.text.startswith("A storm with gusts of 140 km/h")
    assert "Home News Sport" not in page.text
    assert "Copyright" not in page.text
    assert page.title == "Storm closes bridge"
    assert page.authors == ("Ann Lee",)
    assert page.image_url == "https://harbour.example/storm.jpg"
    assert page.canonical_url == "https://harbour.example/storm"
    assert page.language == "en-gb"
    assert page.published_at is not None
    assert page.published_at.year == 2021


def test_a_page_without_text_gives_nothing():
    assert (
        extract_article("<html><body><nav>Menu</nav></body></html>", "https://x.example/") is None
    )
