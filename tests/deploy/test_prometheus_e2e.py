"""A real Prometheus scrapes a real worker on loopback: the claims it counts are the claims we sent."""

from __future__ import annotations

import json
import time
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from tests.deploy.live import running_prometheus, running_worker, submitted_claims
from tests.deploy.test_metric_names import dashboard_targets
from tests.deploy.tools import RULES

CLAIMS = 120
DEADLINE_S = 60.0


def wait_for(description: str, check: object, deadline_s: float = DEADLINE_S) -> None:
    """Poll `check()` until truthy; a correctness wait with a generous deadline, not a timing assertion."""
    assert callable(check)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.25)
    pytest.fail(f"gave up after {deadline_s:.0f} s waiting for {description}")


@pytest.mark.redis
@pytest.mark.slow
def test_prometheus_counts_exactly_the_claims_sent(redis_url: str, tmp_path: Path) -> None:
    client = redis.Redis.from_url(redis_url)
    with (
        closing(client),
        running_worker(redis_url, tmp_path) as worker,
        running_prometheus(tmp_path, [worker.address], [RULES]) as prometheus,
    ):
        wait_for("the worker target to be up", lambda: prometheus.scalar('up{job="claim-edit"}') == 1.0)
        assert prometheus.scalar('sum(claimedit_claims_processed_total{job="claim-edit"})') == 0.0

        pipe = client.pipeline(transaction=False)
        for event in submitted_claims(CLAIMS):
            pipe.xadd("claims.submitted", {"event": event})
        pipe.execute()

        wait_for("every result in claims.edited", lambda: client.xlen("claims.edited") == CLAIMS)
        query = 'sum(claimedit_claims_processed_total{job="claim-edit"})'
        wait_for(f"Prometheus to see {CLAIMS} processed", lambda: prometheus.scalar(query) == CLAIMS)
        # Let a few more scrapes happen: the count must stay exact (no double counting), not pass through.
        before = prometheus.get("/api/v1/targets")["data"]["activeTargets"][0]["lastScrape"]
        wait_for("another scrape", lambda: prometheus.get("/api/v1/targets")["data"]["activeTargets"][0]["lastScrape"] != before)
        assert prometheus.scalar(query) == CLAIMS
        assert prometheus.scalar('sum(claimedit_deadletters_total{job="claim-edit"})') == 0.0
        by_outcome = prometheus.query('sum by (outcome) (claimedit_claims_processed_total{job="claim-edit"})')["data"]["result"]
        outcomes = {item["metric"]["outcome"]: float(item["value"][1]) for item in by_outcome if float(item["value"][1])}
        entries = cast("list[tuple[bytes, dict[bytes, bytes]]]", client.xrange("claims.edited"))
        published = Counter(json.loads(fields[b"result"])["outcome"] for _, fields in entries)
        assert outcomes == {outcome: float(count) for outcome, count in published.items()}
        assert outcomes.get("deny", 0) > 0  # every third claim is an add-on without its primary
        wait_for("the lag gauge to drain to 0", lambda: prometheus.scalar('max(claimedit_consumer_lag{job="claim-edit"})') == 0.0)

        # The rules loaded into a real server, evaluate without errors, and none fires on a healthy worker.
        def all_rules() -> list[dict[str, Any]]:
            return [rule for group in prometheus.get("/api/v1/rules")["data"]["groups"] for rule in group["rules"]]

        # Before its first evaluation a rule reports the zero time (0001-01-01...).
        wait_for("every rule evaluated", lambda: all(not rule["lastEvaluation"].startswith("0001") for rule in all_rules()))
        rules = all_rules()
        assert {rule["name"] for rule in rules} >= {"ClaimEditWorkerDown", "ClaimEditStuck", "ClaimEditLagHigh"}
        assert all(rule["health"] == "ok" for rule in rules), [(rule["name"], rule.get("lastError")) for rule in rules]
        firing = [alert for alert in prometheus.get("/api/v1/alerts")["data"]["alerts"] if alert["state"] == "firing"]
        assert firing == []


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    grafana_variables = {"$job": "claim-edit", "$instance": ".*", "$__rate_interval": "1m", "${datasource}": ""}
    with running_prometheus(tmp_path, [], []) as prometheus:
        for target in dashboard_targets():
            expr = target["expr"]
            for variable, value in grafana_variables.items():
                expr = expr.replace(variable, value)
            if expr.startswith("label_values("):  # a Grafana function, not PromQL: check its selector
                expr = expr.removeprefix("label_values(").rsplit(",", 1)[0]
            answer = prometheus.query(expr)
            assert answer["status"] == "success", f"{target['expr']!r}: {json.dumps(answer)}"
