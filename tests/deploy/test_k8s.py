"""The Kubernetes manifests: they render, pass an offline schema check, and agree with each other."""

from __future__ import annotations

import copy
import functools
import tomllib
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from kubernetes_validate.utils import ValidationError  # type: ignore[import-untyped]

from edits.policy import parse_policy
from edits.registry import all_edits
from tests.deploy.tools import DEPLOY, WORKER_ENV, require_tool, run

K8S = DEPLOY / "k8s"
KUSTOMIZATIONS = {"base": K8S / "base", "example": K8S / "overlays" / "example"}
# The oldest Kubernetes we claim to support (policy/v1 PDB, stable HPA v2 behaviour under KEDA).
KUBERNETES_VERSION = "1.29.0"

# kubernetes-validate knows no CRDs. Our own schema of the ScaledObject fields we use, written from
# KEDA's docs for the redis-streams scaler: typos and wrong types fail here instead of in the cluster.
_STRING = {"type": "string"}
_INT_STRING = {"type": "string", "pattern": "^[0-9]+$"}
SCALED_OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["scaleTargetRef", "triggers"],
            "properties": {
                "scaleTargetRef": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {"apiVersion": _STRING, "kind": _STRING, "name": _STRING, "envSourceContainerName": _STRING},
                },
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "minReplicaCount": {"type": "integer", "minimum": 0},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "advanced": {"type": "object"},
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "metadata"],
                        "properties": {
                            "type": {"const": "redis-streams"},
                            "metadata": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["stream", "consumerGroup"],
                                "oneOf": [{"required": ["lagCount", "activationLagCount"]}, {"required": ["pendingEntriesCount"]}],
                                "properties": {
                                    "address": _STRING,
                                    "addressFromEnv": _STRING,
                                    "host": _STRING,
                                    "hostFromEnv": _STRING,
                                    "port": _INT_STRING,
                                    "portFromEnv": _STRING,
                                    "usernameFromEnv": _STRING,
                                    "passwordFromEnv": _STRING,
                                    "stream": _STRING,
                                    "consumerGroup": _STRING,
                                    "lagCount": _INT_STRING,
                                    "activationLagCount": _INT_STRING,
                                    "pendingEntriesCount": _INT_STRING,
                                    "enableTLS": {"enum": ["true", "false"]},
                                    "unsafeSsl": {"enum": ["true", "false"]},
                                    "databaseIndex": _INT_STRING,
                                },
                            },
                            "authenticationRef": {"type": "object"},
                        },
                    },
                },
            },
        },
    },
}


@functools.cache
def render(name: str) -> tuple[dict[str, Any], ...]:
    kubectl = require_tool("kubectl")
    result = run([kubectl, "kustomize", str(KUSTOMIZATIONS[name])])
    assert result.returncode == 0, f"kubectl kustomize {name} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def one(docs: tuple[dict[str, Any], ...], kind: str) -> dict[str, Any]:
    found = [doc for doc in docs if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def container(docs: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    containers = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["worker"]
    result: dict[str, Any] = containers[0]
    return result


def settings(docs: tuple[dict[str, Any], ...]) -> dict[str, str]:
    maps = [doc for doc in docs if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("claim-edit-settings")]
    assert len(maps) == 1
    data: dict[str, str] = maps[0]["data"]
    return data


NAMES = list(KUSTOMIZATIONS)


@pytest.mark.parametrize("name", NAMES)
def test_builtin_resources_pass_strict_schema_validation(name: str) -> None:
    kinds = []
    for doc in render(name):
        if doc["apiVersion"].startswith("keda.sh/"):
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        kinds.append(doc["kind"])
    assert {"Deployment", "Service", "PodDisruptionBudget", "ConfigMap"} <= set(kinds)


def test_the_schema_check_rejects_a_misspelt_field() -> None:
    deployment = copy.deepcopy(one(render("base"), "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {"httpGet": {"path": "/healthz", "port": 9464}}
    with pytest.raises(ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name", NAMES)
def test_scaled_object_uses_the_redis_streams_scaler_on_our_group(name: str) -> None:
    docs = render(name)
    scaled = one(docs, "ScaledObject")
    jsonschema.validate(scaled, SCALED_OBJECT_SCHEMA)
    spec = scaled["spec"]
    assert spec["scaleTargetRef"]["name"] == one(docs, "Deployment")["metadata"]["name"]
    assert spec["scaleTargetRef"]["envSourceContainerName"] == container(docs)["name"]
    assert 1 <= spec["minReplicaCount"] < spec["maxReplicaCount"]
    trigger = spec["triggers"][0]["metadata"]
    config = settings(docs)
    assert trigger["stream"] == config["CLAIMEDIT_STREAM"]
    assert trigger["consumerGroup"] == config["CLAIMEDIT_GROUP"]
    assert int(trigger["lagCount"]) > int(trigger["activationLagCount"]) > 0
    # The scaler reads Redis' address from the worker container's env: those variables must exist there.
    env_names = {item["name"] for item in container(docs)["env"]}
    assert trigger["hostFromEnv"] in env_names
    assert trigger["portFromEnv"] in env_names


def test_the_scaled_object_schema_catches_a_wrong_type() -> None:
    scaled = copy.deepcopy(one(render("base"), "ScaledObject"))
    scaled["spec"]["triggers"][0]["metadata"]["lagCount"] = 5000  # KEDA wants strings in metadata
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(scaled, SCALED_OBJECT_SCHEMA)


@pytest.mark.parametrize("name", NAMES)
def test_deployment_probes_resources_and_shutdown(name: str) -> None:
    docs = render(name)
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    worker = container(docs)
    assert worker["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert worker["readinessProbe"]["httpGet"]["path"] == "/readyz"
    port = int(settings(docs)["CLAIMEDIT_HTTP_PORT"])
    assert [p["containerPort"] for p in worker["ports"]] == [port]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(worker["resources"][kind]), f"resources.{kind} must set cpu and memory"
    # Kubernetes kills the pod at terminationGracePeriodSeconds: the worker's drain must fit well inside it.
    drain_s = float(settings(docs)["CLAIMEDIT_SHUTDOWN_GRACE_S"])
    assert pod["terminationGracePeriodSeconds"] >= drain_s + 10
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert worker["securityContext"]["allowPrivilegeEscalation"] is False
    assert "replicas" not in one(docs, "Deployment")["spec"], "KEDA owns the replica count"


@pytest.mark.parametrize("name", NAMES)
def test_consumer_name_is_the_pod_name(name: str) -> None:
    env = {item["name"]: item for item in container(render(name))["env"]}
    assert env["CLAIMEDIT_CONSUMER"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_is_one_the_worker_reads(name: str) -> None:
    docs = render(name)
    env_names = set(settings(docs)) | {item["name"] for item in container(docs)["env"]}
    unknown = env_names - WORKER_ENV - {"REDIS_HOST", "REDIS_PORT"}
    assert not unknown, f"settings the worker does not read: {sorted(unknown)}"
    assert "REDIS_URL" in env_names


def test_service_is_named_as_the_scrape_job_the_rules_select() -> None:
    rules = (DEPLOY / "prometheus" / "rules.yaml").read_text(encoding="utf-8")
    service = one(render("base"), "Service")
    assert f'job="{service["metadata"]["name"]}"' in rules
    assert [port["name"] for port in service["spec"]["ports"]] == ["metrics"]


@pytest.mark.parametrize("name", NAMES)
def test_selectors_match_the_pods(name: str) -> None:
    docs = render(name)
    labels = one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    for kind in ("Service", "PodDisruptionBudget"):
        doc = one(docs, kind)
        selector = doc["spec"]["selector"]
        selector = selector.get("matchLabels", selector)
        assert selector, f"{kind} has an empty selector"
        assert selector.items() <= labels.items(), f"{kind} selector {selector} does not select {labels}"


@pytest.mark.parametrize("name", NAMES)
def test_policy_config_map_is_a_valid_policy_naming_real_edits(name: str) -> None:
    docs = render(name)
    maps = [doc for doc in docs if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("claim-edit-policy")]
    assert len(maps) == 1
    text = maps[0]["data"]["policy.toml"]
    policy = parse_policy(text, source="k8s policy ConfigMap")
    known = {edit.name for edit in all_edits()}
    assert set(policy.edits) <= known, f"policy names unknown edits: {sorted(set(policy.edits) - known)}"
    mount = next(m for m in container(docs)["volumeMounts"] if m["name"] == "policy")
    assert settings(docs)["CLAIMEDIT_POLICY"] == f"{mount['mountPath']}/policy.toml"
    assert tomllib.loads(text)  # parse_policy accepted it; it is also plain TOML


def test_overlay_changes_what_it_says() -> None:
    base, example = render("base"), render("example")
    assert one(example, "ScaledObject")["spec"]["maxReplicaCount"] > one(base, "ScaledObject")["spec"]["maxReplicaCount"]
    assert container(example)["image"] != container(base)["image"]
    assert settings(example)["REDIS_HOST"] != settings(base)["REDIS_HOST"]
    assert {doc["metadata"].get("namespace") for doc in example if doc["kind"] != "Namespace"} == {"claims"}
