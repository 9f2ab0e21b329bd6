from pathlib import Path

import pytest

from services.fetcher.sources import (
    SourceConfig,
    SourcesFileError,
    load_sources,
    save_sources,
    source_id_for,
)

REPO = Path(__file__).resolve().parents[3]


def test_the_shipped_sources_file_lists_real_world_news_feeds():
    sources = load_sources(REPO / "deploy" / "sources.yaml")
    names = {s.name for s in sources}
    assert {"The Guardian", "BBC News", "Al Jazeera", "NPR", "DW", "France 24"} <= names
    assert not any(s.local for s in sources)


def test_a_file_written_is_read_back_the_same(tmp_path: Path):
    sources = [
        SourceConfig(id="a", name="A", url="https://a.example/rss"),
        SourceConfig(id="b", name="B", url="http://127.0.0.1:1/x.jsonl", kind="jsonl", local=True),
    ]
    save_sources(tmp_path / "s.yaml", sources)
    assert load_sources(tmp_path / "s.yaml") == sources


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("sources:\n- id: a\n  name: A\n  url: ftp://x\n", "url"),
        ("sources:\n- id: a\n  name: A\n  url: https://x\n  colour: red\n", "colour"),
        ("sources: [\n", "while parsing"),
        (
            "sources:\n- {id: a, name: A, url: 'https://x'}\n- {id: a, name: B, url: 'https://y'}\n",
            "duplicate source ids: a",
        ),
    ],
)
def test_a_bad_sources_file_is_refused_naming_the_problem(tmp_path: Path, text: str, problem: str):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(SourcesFileError, match=problem):
        load_sources(path)


def test_outlets_named_in_any_script_get_source_ids_of_their_own():
    names = ["New York Times (News)", "新华社", "人民日报", "Вести", "РБК", "الأهرام"]
    ids = [source_id_for(name) for name in names]
    assert ids[0] == "new-york-times-news"
    assert len(set(ids)) == len(names)
    assert "unknown" not in ids
