"""`python -m bench.x12_throughput` on a tiny file: it runs and its figures are consistent. Nothing is timed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.x12_throughput import main


def test_x12_throughput_reports_the_claims_it_mapped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x12.json"
    assert main(["--claims", "30", "--per-transaction", "7", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["claims"] == 30
    # ISA GS GE IEA; per transaction ST BHT NM1 PER NM1 HL NM1 N3 N4 REF SE; per claim HL SBR NM1 NM1 CLM HI and 2 x LX SV1 DTP
    assert report["segments"] == 4 + 5 * 11 + 30 * 12
    assert report["claims_per_s"] > 0
    assert report["claims_per_cpu_s"] >= report["claims_per_s"] * 0.5  # CPU time is at most wall time (one thread), give or take
    assert "claims/s" in capsys.readouterr().out
