"""Every Pressroom service, named once: the app factory and settings it is built from and
its port on a developer's machine (its settings' default); the consumer groups its broker
reads with come from the broker (`shared.broker.subscriptions`). `pressroom serve`,
`make dev`, the AsyncAPI document, the tests and the deployment checks all read it.

Each `services/<name>/app.py` defines `SETTINGS` (its settings class) and
`create_app(settings)`; importing it builds nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import cast

from faststream.asgi import AsgiFastStream

from shared.settings import ServiceSettings, load_settings


@dataclass(frozen=True)
class Service:
    name: str

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(f"services.{self.name}.app")

    @property
    def settings_class(self) -> type[ServiceSettings]:
        return cast(type[ServiceSettings], self.module.SETTINGS)

    @property
    def dev_port(self) -> int:
        return cast(int, self.settings_class.model_fields["http_port"].default)

    def settings(self) -> ServiceSettings:
        """Its settings from the environment; a bad one stops the process, naming it."""
        return load_settings(self.settings_class)

    def create_app(self, settings: ServiceSettings | None = None) -> AsgiFastStream:
        return cast(AsgiFastStream, self.module.create_app(settings or self.settings()))


SERVICES: dict[str, Service] = {
    name: Service(name)
    for name in ("fetcher", "deduplicator", "summarizer", "publisher", "digest", "site")
}
