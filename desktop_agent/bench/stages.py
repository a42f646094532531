"""Split one turn's voice-to-voice time into provider time and app time, from the simulator's own records.

The same split works for the app and the reference because it only reads what crossed the wire:

=====================  ========  ==========================================================================
stage                  who       from -> to
=====================  ========  ==========================================================================
to_finalize            app       release (push-to-talk) or last speech sample (hands-free) -> ``finalize``
                                 (Cartesia) or ``Finalize`` (Deepgram) reaches the STT (endpointing: VAD stop and
                                 turn logic, input path)
stt_final              provider  ``finalize`` arrives -> the final transcript that answers it leaves the STT
to_llm_request         app       final transcript leaves -> LLM request arrives (turn end, context)
llm_first_token        provider  LLM request arrives -> first token leaves (the profile's delay)
to_tts_text            app       first token -> first text reaches the TTS (text aggregation, which also waits
                                 for the LLM's token rate)
tts_first_audio        provider  first text arrives -> first audio leaves the TTS
to_speaker             app       first audio leaves the TTS -> first audible sample plays
=====================  ========  ==========================================================================

The records are the simulator's, slimmed by :mod:`desktop_agent.bench.sim_host` (which gives Cartesia's TTS
``transcript`` as ``text``), and every provider's emulator names its records alike (``stt_message`` for what the
client sent, ``stt_reply`` with ``is_final``, ``tts_message`` with the text, ``tts_reply`` with ``audio_bytes``). Two
things still differ by vendor, both handled here: how the client asks to finalize, and Deepgram's finals that close
an utterance on their own (``from_finalize: false``: an endpoint, or an empty final during silence), which answer no
``Finalize`` and are not the turn's final transcript.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from desktop_agent.bench.driver import TurnTiming

STAGES: tuple[tuple[str, str], ...] = (
    ("to_finalize", "app"),
    ("stt_final", "provider"),
    ("to_llm_request", "app"),
    ("llm_first_token", "provider"),
    ("to_tts_text", "app"),
    ("tts_first_audio", "provider"),
    ("to_speaker", "app"),
)


def provider_floor(profile: dict) -> float:
    """The providers' share of a turn in ``profile`` (seconds): STT final + LLM first token + TTS first audio."""
    return profile["stt_final_delay"] + profile["llm_first_token_delay"] + profile["tts_first_audio_delay"]


def asks_to_finalize(message: object) -> bool:
    """Whether an ``stt_message`` asks the STT for its final transcript now: Cartesia's plain ``finalize``, or
    Deepgram's JSON ``{"type": "Finalize"}``."""
    if message == "finalize":
        return True
    if not isinstance(message, str) or not message.lstrip().startswith("{"):
        return False
    try:
        parsed = json.loads(message)
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("type") == "Finalize"


def is_turn_final(reply: object) -> bool:
    """Whether an ``stt_reply`` is a final transcript that may answer a finalize request (every Cartesia final;
    a Deepgram final unless it says it closed an utterance on its own)."""
    return isinstance(reply, dict) and bool(reply.get("is_final")) and reply.get("from_finalize") is not False


def _first(
    records: list[dict], kind: str, start: float, end: float, accept: Callable[[Any], bool] = lambda data: True
) -> float | None:
    for record in records:
        if record["kind"] == kind and start <= record["at"] <= end and accept(record["data"]):
            return record["at"]
    return None


def _last(
    records: list[dict], kind: str, start: float, end: float, accept: Callable[[Any], bool] = lambda data: True
) -> float | None:
    found = None
    for record in records:
        if record["kind"] == kind and start <= record["at"] <= end and accept(record["data"]):
            found = record["at"]
    return found


def split_turn(turn: TurnTiming, records: list[dict], profile: dict) -> dict[str, float] | None:
    """Seconds per stage for ``turn``; None when a step is missing (a failed turn, or a request not seen)."""
    anchor, first_audio = turn.anchor, turn.first_audio
    if anchor is None or first_audio is None:
        return None
    records = sorted(records, key=lambda r: r["at"])
    final = _first(records, "stt_reply", turn.started, first_audio, is_turn_final)
    if final is None:
        return None
    finalize = _last(records, "stt_message", turn.started, final, asks_to_finalize)
    llm_request = _first(records, "llm_request", final, first_audio)
    if finalize is None or llm_request is None:
        return None
    first_token = llm_request + profile["llm_first_token_delay"]
    tts_text = _first(
        records,
        "tts_message",
        llm_request,
        first_audio,
        lambda d: bool(d and isinstance(d.get("text"), str) and d["text"].strip()),
    )
    if tts_text is None:
        return None
    tts_audio = _first(records, "tts_reply", tts_text, first_audio, lambda d: bool(d and d.get("audio_bytes")))
    if tts_audio is None:
        return None
    points = (anchor, finalize, final, llm_request, first_token, tts_text, tts_audio, first_audio)
    return {name: points[i + 1] - points[i] for i, (name, _who) in enumerate(STAGES)}
