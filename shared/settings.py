"""Settings every service shares; services subclass `ServiceSettings` with their own.

Every field is read from a `PRESSROOM_`-prefixed environment variable (or `.env`).
A bad value stops the service at start with a message naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, model_validator
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
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        description="How the services reach Kafka: SASL_SSL on a shared cluster (TLS and a "
        "user per service).",
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", description="The SASL mechanism, with a SASL_ protocol."
    )
    kafka_sasl_username: str | None = Field(
        None, min_length=1, description="The service's Kafka user, with a SASL_ protocol."
    )
    kafka_sasl_password: SecretStr | None = Field(
        None, description="The Kafka user's password (a secret: never logged or printed)."
    )
    kafka_ca_file: Path | None = Field(
        None,
        description="CA certificates that sign the brokers' (PEM), with SSL or SASL_SSL; "
        "the system's CAs without it.",
    )
    mongo_url: str = Field(
        "mongodb://127.0.0.1:27017",
        pattern=r"^mongodb(\+srv)?://",
        description="MongoDB connection string; give credentials in PRESSROOM_MONGO_USERNAME "
        "and PRESSROOM_MONGO_PASSWORD, not in it.",
    )
    mongo_username: str | None = Field(None, min_length=1, description="The MongoDB user.")
    mongo_password: SecretStr | None = Field(
        None, description="The MongoDB user's password (a secret: never logged or printed)."
    )
    mongo_database: str = Field("pressroom", description="MongoDB database name.")
    http_host: str = Field("127.0.0.1", description="Address the service's HTTP server binds.")
    http_port: int = Field(
        8000, ge=0, le=65535, description="Port of the service's /metrics, /health, /ready."
    )
    ops_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="A second port for /metrics, /health and /ready, which then answer there "
        "only: the site's public port serves pages alone.",
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
    commit_interval_seconds: float = Field(
        0.5,
        ge=0,
        le=60,
        description="How often a consumer commits the offsets of the messages it finished "
        "(0: after each). A process killed without shutting down re-reads at most this "
        "much; a commit after each message cost the broker more CPU than the messages.",
    )
    niceness: int = Field(
        0,
        ge=0,
        le=19,
        description="Added to the process's nice value at start: where the services share "
        "cores, the one that catches up in parallel polls (the fetcher: 10) yields the CPU to "
        "the ones an article waits for on its way to the site once fetched (the "
        "deduplicator, the summarizer, the publisher). A container's own cores are weighed "
        "by its CPU request instead.",
    )
    batch_size: int = Field(
        100,
        ge=1,
        le=1000,
        description="Most messages a batch subscriber (the deduplicator's, the summarizer's, "
        "the publisher's) reads at once: a backlog is written in a few database commands a "
        "batch.",
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

    @model_validator(mode="after")
    def _credentials_complete(self) -> Self:
        if self.ops_port is not None and self.ops_port == self.http_port:
            raise ValueError("PRESSROOM_OPS_PORT must differ from PRESSROOM_HTTP_PORT")
        sasl = self.kafka_security_protocol.startswith("SASL_")
        has_user = self.kafka_sasl_username is not None
        if sasl and (not has_user or self.kafka_sasl_password is None):
            raise ValueError(
                f"PRESSROOM_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "PRESSROOM_KAFKA_SASL_USERNAME and PRESSROOM_KAFKA_SASL_PASSWORD"
            )
        if not sasl and (has_user or self.kafka_sasl_password is not None):
            raise ValueError(
                "PRESSROOM_KAFKA_SASL_USERNAME and PRESSROOM_KAFKA_SASL_PASSWORD need "
                "PRESSROOM_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL"
            )
        if (self.mongo_username is None) != (self.mongo_password is None):
            raise ValueError("PRESSROOM_MONGO_USERNAME and PRESSROOM_MONGO_PASSWORD go together")
        if self.kafka_ca_file is not None and not self.kafka_ca_file.is_file():
            raise ValueError(f"PRESSROOM_KAFKA_CA_FILE: no file at {self.kafka_ca_file}")
        return self

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
    """One line per bad setting, naming its variable; the value only when it can hold
    no secret."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    lines = ["invalid settings:"]
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        if not field:  # a check across settings: its message names them
            lines.append(f"  {problem['msg'].removeprefix('Value error, ')}")
            continue
        env_name = (prefix + field).upper()
        lines.append(f"  {env_name}: {problem['msg']}{shown(field, problem.get('input'))}")
    return "\n".join(lines)


def shown(field: str, value: object) -> str:
    """` (got …)` for a value safe to print: never a password, never a URL's user or
    password."""
    if "password" in field or "secret" in field or "key" in field:
        return ""
    if isinstance(value, str) and "://" in value and "@" in value:
        parts = urlsplit(value)
        value = value.replace(parts.netloc, "…@" + parts.netloc.rpartition("@")[2], 1)
    return f" (got {value!r})"


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Read `cls` from the environment, or stop with a message naming each bad setting."""
    try:
        return cls()
    except ValidationError as error:
        # SystemExit prints its message to stderr and exits with status 1.
        raise SettingsError(describe_validation_error(cls, error)) from None
