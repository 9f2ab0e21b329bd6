"""Settings: read from PRESSROOM_ variables; a bad one stops start-up, naming it."""

from __future__ import annotations

import pytest

from services.deduplicator.settings import DeduplicatorSettings
from services.fetcher.settings import FetcherSettings
from services.publisher.settings import PublisherSettings
from services.site.settings import SiteSettings
from services.summarizer.settings import SummarizerSettings
from shared.settings import ServiceSettings, SettingsError, load_settings


def test_defaults_run_on_one_laptop(monkeypatch: pytest.MonkeyPatch):
    settings = load_settings(ServiceSettings)
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.mongo_url == "mongodb://127.0.0.1:27017"


def test_a_setting_is_read_from_its_prefixed_environment_variable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PRESSROOM_HTTP_PORT", "9123")
    assert load_settings(ServiceSettings).http_port == 9123


def test_a_bad_setting_stops_start_up_with_a_message_naming_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PRESSROOM_HTTP_PORT", "not-a-port")
    monkeypatch.setenv("PRESSROOM_LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError) as stopped:
        load_settings(ServiceSettings)
    message = str(stopped.value.code)
    assert "PRESSROOM_HTTP_PORT" in message
    assert "PRESSROOM_LOG_LEVEL" in message
    assert "not-a-port" in message


def stopped_with(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    for name, value in variables.items():
        monkeypatch.setenv(f"PRESSROOM_{name.upper()}", value)
    with pytest.raises(SettingsError) as stopped:
        load_settings(ServiceSettings)
    return str(stopped.value.code)


def test_a_sasl_protocol_without_its_user_stops_start_up_naming_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
):
    message = stopped_with(monkeypatch, kafka_security_protocol="SASL_SSL")
    assert "PRESSROOM_KAFKA_SASL_USERNAME" in message
    assert "PRESSROOM_KAFKA_SASL_PASSWORD" in message


def test_a_kafka_user_without_a_sasl_protocol_stops_start_up(monkeypatch: pytest.MonkeyPatch):
    message = stopped_with(monkeypatch, kafka_sasl_username="fetcher", kafka_sasl_password="pw")
    assert "PRESSROOM_KAFKA_SECURITY_PROTOCOL" in message


def test_a_missing_ca_file_stops_start_up_naming_the_setting(monkeypatch: pytest.MonkeyPatch):
    message = stopped_with(monkeypatch, kafka_ca_file="/nowhere/ca.pem")
    assert "PRESSROOM_KAFKA_CA_FILE" in message


def test_secrets_are_never_printed(monkeypatch: pytest.MonkeyPatch):
    message = stopped_with(monkeypatch, mongo_url="mongo://admin:hunter2@db.internal:27017")
    assert "PRESSROOM_MONGO_URL" in message
    assert "hunter2" not in message
    monkeypatch.delenv("PRESSROOM_MONGO_URL")
    message = stopped_with(monkeypatch, mongo_password="s3cret-mongo")
    assert "PRESSROOM_MONGO_USERNAME and PRESSROOM_MONGO_PASSWORD go together" in message
    assert "s3cret" not in message
    monkeypatch.setenv("PRESSROOM_MONGO_USERNAME", "site")
    monkeypatch.setenv("PRESSROOM_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("PRESSROOM_KAFKA_SASL_USERNAME", "site")
    monkeypatch.setenv("PRESSROOM_KAFKA_SASL_PASSWORD", "s3cret-kafka")
    settings = load_settings(ServiceSettings)
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in settings.model_dump_json()


def test_a_url_in_an_error_is_shown_without_its_user_and_password():
    from shared.settings import shown

    assert shown("site_url", "https://user:pw@news.example/") == " (got 'https://…@news.example/')"
    assert shown("mongo_password", "pw") == ""


def test_the_fetcher_yields_the_cpu_to_the_stages_a_fetched_article_waits_for():
    assert load_settings(FetcherSettings).niceness == 10
    for on_the_way in (DeduplicatorSettings, SummarizerSettings, PublisherSettings, SiteSettings):
        assert load_settings(on_the_way).niceness == 0


def test_a_niceness_that_would_raise_the_priority_stops_start_up(monkeypatch: pytest.MonkeyPatch):
    # Raising it takes a privilege a service does not have.
    assert "PRESSROOM_NICENESS" in stopped_with(monkeypatch, niceness="-5")
