"""Reading JSONL files (one JSON object a line) into typed records, with errors that name
the file and the line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

RecordT = TypeVar("RecordT")


def read_jsonl(path: Path, build: Callable[[dict[str, Any]], RecordT], what: str) -> list[RecordT]:
    """`build` applied to every non-blank line; ValueError naming `path:line` and `what`
    the line should have been when a line is not JSON or `build` refuses it."""
    records = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(build(json.loads(line)))
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: not {what}: {error}") from error
    return records
