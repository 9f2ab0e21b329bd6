"""Pressroom's one version: pyproject.toml's, read from the installed package's metadata.
The CLI's `--version`, the fetcher's User-Agent, the `pressroom_build_info` metric and the
image's labels all show it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("pressroom")
except PackageNotFoundError:  # run from a checkout that was never installed
    VERSION = "0+unknown"
