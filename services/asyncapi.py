"""The AsyncAPI document of the whole pipeline, built from every service's broker.

`make docs` writes it to docs/asyncapi.yaml with `faststream docs gen --factory`; a test fails when
the committed document differs from what the code says.
"""

from __future__ import annotations

from faststream import FastStream
from faststream.specification import AsyncAPI

from services.registry import SERVICES

DESCRIPTION = (
    "Pressroom's topics. Every topic X has a dead-letter twin X.dlq (DeadLetter events). "
    "Keys pin every event of one story (or article) to one partition."
)


def build() -> FastStream:
    brokers = [service.create_app().brokers[0] for service in SERVICES.values()]
    return FastStream(
        *brokers,
        specification=AsyncAPI(title="Pressroom", version="1", description=DESCRIPTION),
    )
