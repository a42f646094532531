"""A sample conversation with everything an export must handle: latencies, an interruption, Markdown characters,
non-ASCII text and usage. Its exports are the golden files in tests/golden/."""

from __future__ import annotations

from desktop_agent.state.conversation import Role, UsageTotals
from desktop_agent.state.events import Stage
from desktop_agent.storage.history import HistoryStore
from tests.storage.conftest import T0, make_turn


def record_weather_conversation(store: HistoryStore, started_at: float = T0) -> int:
    t = started_at
    conv = store.begin_conversation(voice="Rachel", prompt_name="General assistant", started_at=t)
    store.record_turn(conv, make_turn(1, Role.USER, "What's the weather in Paris, café-side?", t + 0.25, t + 2.5))
    store.record_turn(
        conv,
        make_turn(
            2,
            Role.ASSISTANT,
            "Sunny, about 20 °C. Use *sunscreen* & check #forecast_today.",
            t + 3.125,
            t + 7.0,
            latencies={
                Stage.VOICE_TO_VOICE: 0.7123,
                Stage.ENDPOINTING: 0.118,
                Stage.STT_FINAL: 0.2049,
                Stage.LLM_FIRST_TOKEN: 0.23,
                Stage.TTS_FIRST_AUDIO: 0.1604,
            },
        ),
    )
    store.record_turn(conv, make_turn(3, Role.USER, "And tomorrow?", t + 8.0, t + 9.0))
    store.record_turn(
        conv,
        make_turn(
            4,
            Role.ASSISTANT,
            "Tomorrow brings rain in the",
            t + 9.5,
            t + 11.0,
            interrupted=True,
            latencies={Stage.VOICE_TO_VOICE: 0.655},
        ),
    )
    store.record_usage(
        conv,
        UsageTotals(llm_prompt_tokens=1234, llm_completion_tokens=56, tts_characters=89, stt_audio_seconds=4.75),
        0.0012345678,
    )
    return conv
