"""Settings: read from PRESSROOM_ variables; a bad one stops start-up, naming it."""

from __future__ import annotations

import pytest

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
