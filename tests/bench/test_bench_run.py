"""A quick whole benchmark run (``--quick``) writes every figure; speed is reported, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from desktop_agent.bench import goals

pytestmark = [pytest.mark.bench, pytest.mark.slow, pytest.mark.timeout(1200)]


def test_quick_run_reports_every_figure(tmp_path):
    out = tmp_path / "latest.json"
    done = subprocess.run([sys.executable, "-m", "desktop_agent.bench", "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=1100)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["errors"] == [], results["errors"]

    for row in results["goals"]:
        assert row["figure"] is not None, f"{row['goal']} was not measured"
        assert row["met"] in (True, False)
        assert row["goal"] in done.stdout  # the table shows it beside its figure
    for mode in ("push_to_talk", "hands_free"):
        section = results["latency"][mode]
        assert section["ratio_p50"] is not None and section["ratio_p95"] is not None
        for system in ("app", "reference"):
            figures = section[system]
            assert figures["failed_turns"] == 0, figures["errors"]
            assert figures["v2v_ms"]["n"] == results["options"]["turns"]
            for stage, summary in figures["stages_ms"].items():
                assert summary["n"] == figures["v2v_ms"]["n"], f"{system} {mode}: {stage} not split"
        assert section["app"]["engine_stages_ms"], "the engine reported no StageLatency events"
    loaded = results["loaded"]
    for mode in ("hands_free", "push_to_talk"):
        for system in ("app", "reference"):
            figures = loaded[mode][system]
            assert figures["failed_turns"] == 0, figures["errors"]
            assert figures["v2v_ms"]["n"] == results["options"]["loaded_turns"]
            options = results["options"]
            assert figures["cpu_load"]["processes"] == options["cpu_load"] + options["cpu_load_elsewhere"]
            assert figures["underruns"] >= 0 and figures["audible_gaps"] >= 0
    assert "loaded machine" in done.stdout
    assert results["startup"]["engine_ready_s"]["n"] == 1
    assert results["startup"]["window_session_ready_s"]["n"] == 1
    assert results["memory"]["turns"] == results["options"]["soak_turns"]
    assert results["cpu"]["turn_hands_free_pct"] is not None
    assert results["responsiveness"]["engine_loop_lateness_ms"]["n"] > 0
    machine = results["machine"]
    assert machine["cpus"] and machine["cpu_model"] and results["load_before"] is not None
    assert len(results["goals"]) == len(goals.GOALS)
