"""Sources, as operators configure them in a YAML file (`deploy/sources.yaml`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


def source_id_for(name: str) -> str:
    """The source id of an outlet known by name: its letters and digits, in any script,
    hyphenated (two outlets must not share one: the clusterer takes one article of each)."""
    return re.sub(r"[\W_]+", "-", name.casefold()).strip("-")[:100] or "unknown"


SourceKind = Literal["rss", "atom", "jsonfeed", "jsonl"]


class SourceConfig(BaseModel):
    """One feed or archive to poll."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", description="Stable id, e.g. guardian-world."
    )
    name: str = Field(min_length=1, max_length=200, description="Outlet name shown on the site.")
    url: str = Field(pattern=r"^https?://", max_length=2048, description="Feed or archive URL.")
    kind: SourceKind = Field("rss", description="rss (also RSS 0.9x/1.0), atom, jsonfeed or jsonl.")
    category: str | None = Field(None, max_length=64, description="Category hint for its stories.")
    poll_seconds: float = Field(600, ge=5, le=86_400, description="Time between two polls.")
    language: str | None = Field("en", max_length=16, description="Language of its articles.")
    local: bool = Field(
        False,
        description="Allow loopback and private addresses (tests, demos, feeds on this host); "
        "link-local and metadata addresses stay refused.",
    )
    fetch_pages: bool = Field(True, description="Fetch each entry's page for its full text.")


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceConfig]


class SourcesFileError(ValueError):
    """The sources file cannot be read; the message names the file and the problem."""


def load_sources(path: Path) -> list[SourceConfig]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {"sources": []}
        sources = SourcesFile.model_validate(data).sources
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise SourcesFileError(f"{path}: {error}") from None
    ids = [s.id for s in sources]
    if duplicates := sorted({i for i in ids if ids.count(i) > 1}):
        raise SourcesFileError(f"{path}: duplicate source ids: {', '.join(duplicates)}")
    return sources


def save_sources(path: Path, sources: list[SourceConfig]) -> None:
    data = {"sources": [s.model_dump(exclude_defaults=True) | {"id": s.id} for s in sources]}
    text = "# Sources the fetcher polls; `pressroom sources add|remove` edits this file.\n"
    path.write_text(text + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
