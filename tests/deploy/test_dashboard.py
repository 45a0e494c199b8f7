"""The Grafana dashboard JSON: well formed for provisioning, laid out without overlaps, with the panels ops asked for."""

from __future__ import annotations

import json
from typing import Any

from tests.deploy.tools import DASHBOARD

DASH: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
PANELS: list[dict[str, Any]] = DASH["panels"]
GRID_WIDTH = 24


def test_identity_and_variables() -> None:
    assert DASH["uid"] == "claim-edit"
    assert DASH["title"] == "claim-edit"
    variables = {var["name"]: var for var in DASH["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["instance"]["includeAll"] is True
    assert variables["instance"]["multi"] is True


def test_panel_ids_are_unique_and_every_query_uses_the_datasource_variable() -> None:
    ids = [panel["id"] for panel in PANELS]
    assert len(ids) == len(set(ids))
    for panel in PANELS:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], f"panel {panel['title']!r} has no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"


def test_panels_fit_the_grid_and_do_not_overlap() -> None:
    taken: dict[tuple[int, int], str] = {}
    for panel in PANELS:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= GRID_WIDTH, f"{panel['title']!r} is wider than the grid"
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in taken, f"{panel['title']!r} overlaps {taken[(x, y)]!r}"
                taken[(x, y)] = panel["title"]


def test_the_panels_ops_asked_for() -> None:
    exprs = {panel["title"]: " ".join(target["expr"] for target in panel.get("targets", [])) for panel in PANELS}
    assert "by (outcome)" in exprs["Claims by outcome"]
    assert "by (edit, severity)" in exprs["Findings by edit"]
    latency = exprs["End-to-end latency"]
    assert all(f"histogram_quantile({q}," in latency for q in ("0.5", "0.9", "0.99"))
    assert "claimedit_consumer_lag" in exprs["Lag and pending"]
    assert "claimedit_pending_entries" in exprs["Lag and pending"]
    assert "by (reason)" in exprs["Dead letters by reason"]
    assert "claimedit_reference_info" in exprs["Reference data"]
    rows = [panel for panel in PANELS if panel["type"] == "row"]
    per_worker = [row for row in rows if row.get("repeat") == "instance"]
    assert len(per_worker) == 1, "one row repeated per worker (variable `instance`)"
    # The panels after the repeated row read only the selected worker.
    start = PANELS.index(per_worker[0])
    for panel in PANELS[start + 1 :]:
        assert all('instance=~"$instance"' in target["expr"] for target in panel["targets"]), panel["title"]
