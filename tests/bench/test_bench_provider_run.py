"""A short latency run (``--quick``: two turns per mode and system, no warm-up) with providers other than the
defaults: every stage of every turn is split for the app and the reference, and the report names the providers.
Speed is reported, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from desktop_agent.bench.stages import STAGES

pytestmark = [pytest.mark.bench, pytest.mark.slow, pytest.mark.timeout(900)]

CHOICE = {"stt": "deepgram", "llm": "groq", "tts": "cartesia_tts"}


def test_a_short_latency_run_on_other_providers_splits_every_stage_and_names_them(tmp_path):
    out = tmp_path / "latest.json"
    command = [sys.executable, "-m", "desktop_agent.bench", "--quick", "--only", "latency", "--idle-secs", "0",
               "--out", str(out)]
    for option, provider_id in CHOICE.items():
        command += [f"--{option}", provider_id]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=800)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["errors"] == [], results["errors"]

    latency = results["latency"]
    assert {option: p["id"] for option, p in latency["providers"].items()} == CHOICE
    assert results["providers"] == latency["providers"]
    named = ("speech to text Deepgram nova-3 (deepgram), language model Groq llama-3.3-70b-versatile (groq), "
             "text to speech Cartesia sonic-3 (cartesia_tts)")
    assert named in done.stdout and named in done.stderr  # the report's table, and the progress lines
    assert latency["reference"]["pipeline"] == (
        "transport.input, DeepgramSTTService, LLMUserAggregator, GroqLLMService, CartesiaTTSService, "
        "transport.output, LLMAssistantAggregator")

    turns = results["options"]["turns"]
    for mode in ("push_to_talk", "hands_free"):
        section = latency[mode]
        assert section["ratio_p50"] is not None and section["ratio_p95"] is not None
        for system in ("app", "reference"):
            figures = section[system]
            assert figures["failed_turns"] == 0, figures["errors"]
            assert figures["v2v_ms"]["n"] == turns
            assert list(figures["stages_ms"]) == [name for name, _ in STAGES]
            for stage, summary in figures["stages_ms"].items():
                assert summary["n"] == turns, f"{system} {mode}: {stage} not split"
                assert summary["p50"] is not None and summary["p50"] >= 0
        assert section["app"]["engine_stages_ms"], "the engine reported no StageLatency events"
