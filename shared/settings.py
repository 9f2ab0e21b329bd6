"""Settings every service shares; services subclass `ServiceSettings` with their own.

Every field is read from a `PRESSROOM_`-prefixed environment variable (or `.env`).
A bad value stops the service at start with a message naming the variable.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "PRESSROOM_"
# What a producer sends in one request at most (aiokafka's default, the broker's too): an
# event must fit with its headers, and a dead letter must fit whatever it carries.
PRODUCER_MAX_REQUEST_BYTES = 1_048_576
EVENT_HEADROOM_BYTES = 32_768


class ServiceSettings(BaseSettings):
    """Settings shared by every Pressroom service."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", frozen=True
    )

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated host:port."
    )
    mongo_url: str = Field("mongodb://127.0.0.1:27017", description="MongoDB connection string.")
    mongo_database: str = Field("pressroom", description="MongoDB database name.")
    http_host: str = Field("127.0.0.1", description="Address the service's HTTP server binds.")
    http_port: int = Field(
        8000, ge=0, le=65535, description="Port of the service's /metrics, /health, /ready."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of the service's structured log lines."
    )
    handler_max_attempts: int = Field(
        5,
        ge=1,
        le=100,
        description="Attempts at a failing message before it goes to the topic's .dlq "
        "(outages of Kafka or MongoDB are waited out, not counted).",
    )
    consumer_group: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Consumer group the service reads with (default: its name); set it to a "
        "group `pressroom replay` started to re-read a topic.",
    )
    max_event_bytes: int = Field(
        1_000_000,
        ge=1024,
        le=PRODUCER_MAX_REQUEST_BYTES - EVENT_HEADROOM_BYTES,
        description="Largest event accepted from a topic (larger ones go to its .dlq) and "
        "published to one (events are cut to fit); at most what a producer can send.",
    )

    def group(self, service: str) -> str:
        """The consumer group of `service`."""
        return self.consumer_group or service


class TopicSettings(ServiceSettings):
    """Settings of `pressroom topics create`."""

    topic_partitions: int = Field(
        6,
        ge=1,
        le=1000,
        description="Partitions of each pipeline topic: the most replicas a group can use.",
    )
    topic_replication_factor: int = Field(
        1,
        ge=1,
        le=10,
        description="Replicas of each topic's partitions (3 on a production cluster).",
    )


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class SettingsError(SystemExit):
    """Raised when a setting is invalid: exits the process with a message naming it."""


def describe_validation_error(cls: type[BaseSettings], error: ValidationError) -> str:
    prefix = str(cls.model_config.get("env_prefix", ""))
    lines = ["invalid settings:"]
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        env_name = (prefix + field).upper()
        lines.append(f"  {env_name}: {problem['msg']} (got {problem.get('input')!r})")
    return "\n".join(lines)


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Read `cls` from the environment, or stop with a message naming each bad setting."""
    try:
        return cls()
    except ValidationError as error:
        # SystemExit prints its message to stderr and exits with status 1.
        raise SettingsError(describe_validation_error(cls, error)) from None
