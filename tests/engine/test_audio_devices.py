"""Audio devices: chosen by name or index, a missing or vanishing device becomes a clear AUDIO_DEVICE event and the
session carries on with the default device; microphone and speaker levels are reported, throttled.

The devices are the in-memory sound card (real-time paced), which can make a device vanish on demand."""

from __future__ import annotations

import time

import numpy as np
import pytest

from desktop_agent.engine.audio_backend import AudioDeviceError, DeviceInfo, resolve_device
from desktop_agent.engine.levels import LevelMeter, pcm_level
from desktop_agent.engine.memory_audio import MEMORY_MICROPHONE, MEMORY_SPEAKER, MemoryAudioBackend
from desktop_agent.state.events import (
    AssistantSpeechStarted,
    AssistantTurnEnded,
    AudioLevel,
    ErrorKind,
    ErrorOccurred,
)
from tests.engine.conftest import config_for

HEADSET = "USB Headset"


def device_errors(h, since: int = 0) -> list[ErrorOccurred]:
    return [e for e in h.of(ErrorOccurred, since) if e.kind is ErrorKind.AUDIO_DEVICE]


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_microphone_by_name_then_unplugged(sim, harness_factory, speech):
    backend = MemoryAudioBackend(extra_devices=(HEADSET,))
    h = await harness_factory(config_for(sim, input_device="usb"), backend)  # a case-insensitive part of the name
    assert ("input", HEADSET) in backend.opened
    sim.stt.script(["Can you hear me?", "And now?"])
    sim.llm.script(["Yes.", "Still yes."])
    await h.exchange(speech("Can you hear me?"))

    since = h.mark()
    backend.unplug(HEADSET)
    error = (await h.until(lambda: device_errors(h, since), 5, "the device error"))[0]
    assert error.message == f"The microphone “{HEADSET}” stopped working. Switched to the default microphone."
    await h.until(lambda: backend.opened[-1] == ("input", MEMORY_MICROPHONE), 5, "the default microphone")
    await h.until(lambda: h.session.ready, 5, "ready again")
    assert (await h.exchange(speech("And now?"))).text == "Still yes."

    # Choosing a device at run time reopens the stream without restarting the session.
    backend.plug(HEADSET)
    h.session.set_input_device(HEADSET)
    await h.until(lambda: backend.opened[-1] == ("input", HEADSET), 5, "the headset again")


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_missing_devices_fall_back_to_the_defaults(sim, harness_factory, speech):
    h = await harness_factory(config_for(sim, input_device="Studio Mic", output_device=7))
    messages = [e.message for e in device_errors(h)]
    assert "The microphone “Studio Mic” is not connected. Choose another in Settings > Audio. " \
           "Using the default microphone instead." in messages
    assert "The speaker number 7 is not available. Choose another in Settings > Audio. " \
           "Using the default speaker instead." in messages
    assert sorted(h.backend.opened) == [("input", MEMORY_MICROPHONE), ("output", MEMORY_SPEAKER)]
    sim.stt.script(["Hello."])
    sim.llm.script(["Hi."])
    assert (await h.exchange(speech("Hello."))).text == "Hi."


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_speaker_unplugged_mid_reply(sim, harness_factory, speech):
    backend = MemoryAudioBackend(extra_devices=(HEADSET,))
    h = await harness_factory(config_for(sim, output_device=HEADSET), backend)
    sim.stt.script(["Tell me something.", "Again?"])
    sim.llm.script(["Here is a rather long answer that keeps on going for a few seconds.", "Yes."])
    since = h.mark()
    await h.push_to_talk(speech("Tell me something."))
    await h.wait(AssistantSpeechStarted, since, timeout=15)
    backend.unplug(HEADSET)
    error = (await h.until(lambda: device_errors(h, since), 5, "the device error"))[0]
    assert error.message == f"The speaker “{HEADSET}” stopped working. Switched to the default speaker."
    await h.wait(AssistantTurnEnded, since, timeout=20)

    since = h.mark()
    started = time.monotonic()
    assert (await h.exchange(speech("Again?"))).text == "Yes."
    played = [c for c in backend.audible() if c.starts > started]
    assert played and {c.device for c in played} == {MEMORY_SPEAKER}


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_levels_follow_the_audio_and_are_throttled(sim, harness_factory, speech):
    h = await harness_factory(config_for(sim))
    sim.stt.script(["Testing the levels."])
    sim.llm.script(["The levels look fine to me."])
    start, since = time.monotonic(), h.mark()
    await h.exchange(speech("Testing the levels."))
    elapsed = time.monotonic() - start
    levels = h.of(AudioLevel, since)
    assert max(e.microphone for e in levels) > 0.3  # espeak speech at ~ -10 dBFS
    assert max(e.output for e in levels) > 0.3
    assert len(levels) / elapsed <= 20
    gaps = [b.at - a.at for a, b in zip(levels, levels[1:], strict=False)]
    assert min(gaps) >= 0.05

    # Silence in, nothing out: the levels settle and then stop being reported.
    await h.speak(np.zeros(16000, dtype=np.int16))
    settled = h.mark()
    await h.speak(np.zeros(8000, dtype=np.int16))
    assert not h.of(AudioLevel, settled)


def test_pcm_level_scale():
    assert pcm_level(bytes(640)) == 0.0
    full = (np.ones(320) * 32767).astype(np.int16).tobytes()
    assert pcm_level(full) == pytest.approx(1.0, abs=0.01)
    quiet = (np.ones(320) * 33).astype(np.int16).tobytes()  # -60 dBFS
    assert pcm_level(quiet) == pytest.approx(0.0, abs=0.02)


@pytest.mark.parametrize("spread", [100.0, 1000.0, 10000.0])
def test_pcm_level_is_the_rms_in_dbfs_over_sixty_decibels(spread: float):
    samples = np.clip(np.random.default_rng(7).normal(0.0, spread, 320), -32768, 32767).astype(np.int16)
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) / 32768.0
    assert pcm_level(samples.tobytes()) == pytest.approx((20.0 * np.log10(rms) + 60.0) / 60.0, abs=1e-6)


def test_level_meter_emits_only_on_change_at_a_bounded_rate():
    events: list[AudioLevel] = []
    meter = LevelMeter(events.append, max_rate=15.0)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        meter.microphone(0.5)
        time.sleep(0.005)
    assert 1 <= len(events) <= 2  # steady level: reported once it is known, then only on change
    assert events[0].microphone == 0.5 and events[0].output == 0.0


def test_resolve_device_by_index_and_name():
    devices = [DeviceInfo(0, "Built-in Microphone", 2, 0), DeviceInfo(1, "Built-in Speakers", 0, 2),
               DeviceInfo(2, "USB Headset", 1, 2)]
    assert resolve_device(devices, None, output=False) is None
    assert resolve_device(devices, 2, output=True) == 2
    assert resolve_device(devices, "Built-in Speakers", output=True) == 1
    assert resolve_device(devices, "headset", output=False) == 2
    with pytest.raises(AudioDeviceError, match="not connected"):
        resolve_device(devices, "Built-in Speakers", output=False)
    with pytest.raises(AudioDeviceError, match="not available"):
        resolve_device(devices, 1, output=False)
