"""The service registry: every service named once, built only when asked."""

from __future__ import annotations

import os
import subprocess
import sys

from services.registry import SERVICES
from tests.infra import REPO


def test_importing_a_services_app_reads_no_settings_and_builds_nothing():
    # A setting that would stop any service at start: importing must not get that far.
    env = {**os.environ, "PRESSROOM_HTTP_PORT": "not a port", "PRESSROOM_LOG_LEVEL": "LOUD"}
    modules = ", ".join(f"services.{name}.app" for name in SERVICES)
    probe = f"import {modules}; print('imported')"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"


def test_building_a_service_reads_its_settings_and_names_a_bad_one():
    env = {**os.environ, "PRESSROOM_HTTP_PORT": "not a port"}
    probe = "from services.registry import SERVICES; SERVICES['publisher'].create_app()"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "PRESSROOM_HTTP_PORT" in result.stderr


def test_each_service_has_a_port_of_its_own_on_a_developers_machine():
    ports = [service.dev_port for service in SERVICES.values()]
    assert len(set(ports)) == len(ports)
    assert SERVICES["site"].dev_port == 8080
