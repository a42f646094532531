"""The provider simulator in a process of its own, driven over stdin/stdout with one JSON object per line.

Real providers run elsewhere: keeping the emulators out of the measured process keeps their CPU time out of the
app's CPU figure and their Python work off the app's GIL. Their records (when ``finalize`` arrived, when the final
transcript left, when the LLM request arrived, ...) come back over the pipe with ``time.monotonic()`` stamps, which
on Linux share one clock across processes, so each turn can be split into provider time and app time.

Protocol: the host prints ``{"urls": {...}, "keys": {...}, "profile": {...}}`` once ready, then answers each command
line ``{"cmd": "records" | "clear" | "profile" | "script_llm" | "quit", ...}`` with one line.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_agent.simulator import LatencyProfile, Record

#: Record kinds the benchmark reads (audio frame records are many and not needed).
TIMING_KINDS = (
    "stt_message",
    "stt_reply",
    "llm_request",
    "llm_reply",
    "tts_message",
    "tts_reply",
    "stt_connect",
    "tts_connect",
    "llm_usage",
    "tts_context",
)


def interim_text(reply: dict) -> str | None:
    """The words of a speech-to-text interim (Cartesia ``transcript``, Deepgram ``Results``), else None."""
    if reply.get("type") == "transcript" and reply.get("is_final") is False:
        return str(reply.get("text") or "")
    if reply.get("type") == "Results" and reply.get("is_final") is False:
        alternatives = (reply.get("channel") or {}).get("alternatives") or [{}]
        return str(alternatives[0].get("transcript") or "")
    return None


def final_text(reply: dict) -> str | None:
    """The words of a speech-to-text final (Cartesia and Deepgram ``is_final``, Sarvam's ``data``), else None."""
    if reply.get("type") == "transcript" and reply.get("is_final"):
        return str(reply.get("text") or "")
    if reply.get("type") == "Results" and reply.get("is_final"):
        alternatives = (reply.get("channel") or {}).get("alternatives") or [{}]
        return str(alternatives[0].get("transcript") or "")
    if reply.get("type") == "data" and isinstance(reply.get("data"), dict):
        return str(reply["data"].get("transcript") or "")
    return None


def _profile_dict(profile: LatencyProfile) -> dict:
    return {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in dataclasses.asdict(profile).items()}


def _slim(record: Record) -> dict:
    """A record with only what timing needs: request bodies and audio sizes are dropped."""
    data = record.data
    if record.kind == "llm_request":
        data = {}
    elif record.kind == "stt_reply" and isinstance(data, dict):
        # ``from_finalize`` (Deepgram): whether a final answers ``Finalize`` or closed an utterance on its own.
        data = {
            "type": data.get("type"),
            "is_final": data.get("is_final"),
            "from_finalize": data.get("from_finalize"),
            "final_text": final_text(data),  # what the speculation accounting compares requests with
            "interim_text": interim_text(data),
        }
    elif record.kind == "tts_message" and isinstance(data, dict):
        # ElevenLabs sends ``text``, Cartesia ``transcript``: both are the text to speak.
        text = data.get("text") if "text" in data else data.get("transcript")
        data = {"text": text, "flush": data.get("flush"), "context_id": data.get("context_id")}
    elif record.kind == "stt_audio" and isinstance(data, dict):
        data = {"bytes": data.get("bytes") or 0}
    elif record.kind in ("llm_usage", "tts_context") and isinstance(data, dict):
        pass  # small already: the cost accounting reads all of it
    elif record.kind == "tts_reply" and isinstance(data, dict):
        data = {"audio_bytes": data.get("audio_bytes") or 0, "isFinal": data.get("isFinal")}
    elif not isinstance(data, str | int | float | bool | type(None)):
        data = None
    return {"provider": record.provider, "kind": record.kind, "at": record.at, "data": data}


def serve(profile_name: str) -> int:
    from desktop_agent.simulator import PROVIDERS, SIMULATOR_API_KEYS, SimulatorThread

    with SimulatorThread(profile=profile_name) as sim:
        hello = {
            # Every emulator's base URL by its name (what a provider spec's ``emulator`` says).
            "urls": {name: sim.url(name) for name in PROVIDERS},
            "keys": dict(SIMULATOR_API_KEYS),
            "profile": _profile_dict(sim.profile),
        }
        print(json.dumps(hello), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            cmd = command.get("cmd")
            if cmd == "records":
                since = command.get("since", 0.0)
                kinds = set(command.get("kinds") or TIMING_KINDS)
                reply: dict[str, object] = {
                    "records": [_slim(r) for r in sim.records if r.at >= since and r.kind in kinds]
                }
            elif cmd == "clear":
                sim.clear_records()
                reply = {"ok": True}
            elif cmd == "profile":
                sim.profile = command["name"]
                reply = {"profile": _profile_dict(sim.profile)}
            elif cmd == "script_llm":
                sim.llm.script(command["items"])
                reply = {"ok": True}
            elif cmd == "quit":
                print(json.dumps({"ok": True}), flush=True)
                break
            else:
                reply = {"error": f"unknown command {cmd!r}"}
            print(json.dumps(reply), flush=True)
    return 0


class SimHost:
    """Client side: starts the host process and talks to it."""

    def __init__(self, profile: str = "prd", python: str = sys.executable, start_timeout: float = 30.0):
        self._proc = subprocess.Popen(
            [python, "-m", "desktop_agent.bench.sim_host", "--profile", profile],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        deadline = time.monotonic() + start_timeout
        hello = self._read(deadline)
        self.urls: dict[str, str] = hello["urls"]
        self.keys: dict[str, str] = hello["keys"]
        self.profile: dict = hello["profile"]

    def _read(self, deadline: float) -> dict:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the simulator process exited before answering")
        if time.monotonic() > deadline:
            raise TimeoutError("the simulator process answered too late")
        return json.loads(line)

    def _ask(self, command: dict, timeout: float = 30.0) -> dict:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(command) + "\n")
        self._proc.stdin.flush()
        return self._read(time.monotonic() + timeout)

    def records(self, since: float = 0.0, kinds: tuple[str, ...] | None = None) -> list[dict]:
        """Records from ``since`` (monotonic) of ``kinds`` (default :data:`TIMING_KINDS`)."""
        command: dict[str, object] = {"cmd": "records", "since": since}
        if kinds:
            command["kinds"] = list(kinds)
        return self._ask(command)["records"]

    def clear(self) -> None:
        self._ask({"cmd": "clear"})

    def set_profile(self, name: str) -> dict:
        self.profile = self._ask({"cmd": "profile", "name": name})["profile"]
        return self.profile

    def script_llm(self, items: list[str]) -> None:
        self._ask({"cmd": "script_llm", "items": items})

    @property
    def pid(self) -> int:
        return self._proc.pid

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self._ask({"cmd": "quit"}, timeout=10)
                self._proc.wait(timeout=10)
            except (OSError, RuntimeError, TimeoutError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait(timeout=5)

    def __enter__(self) -> SimHost:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desktop_agent.bench.sim_host")
    parser.add_argument("--profile", default="prd")
    args = parser.parse_args(argv)
    from desktop_agent.logging_quiet import quiet_pipecat_import

    with quiet_pipecat_import():
        return serve(args.profile)


if __name__ == "__main__":
    sys.exit(main())
