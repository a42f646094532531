"""Echo cancellation, proved on espeak-ng speech through a simulated room (desktop_agent.engine.acoustic).

The assistant's reply (espeak at 24 kHz, as the TTS delivers it) is pushed to the canceller as reference and played
through the simulated speaker-to-microphone path; the microphone block goes through ``process_capture``, and
Pipecat's real Silero VAD, with its default parameters, decides whether anybody spoke. The room is the only
simulated part; the canceller, the VAD and the speech are the real ones.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from collections.abc import Sequence
from functools import cache

import numpy as np
import pytest

from desktop_agent.engine.acoustic import AcousticPath
from desktop_agent.engine.echo import IDLE_SKIP_AFTER_S, EchoCanceller
from tests.conftest import synthesize_speech

MIC_RATE = 16000
TTS_RATE = 24000
BLOCK_S = 0.020
MIC_BLOCK = int(MIC_RATE * BLOCK_S)
DELAYS_MS = (30, 60, 120)
SPEAKER_DBFS = -20.0  # the assistant's voice as written to the speaker
USER_DBFS = -26.0  # the user at the microphone, as loud as the assistant's echo there (a hard double talk)
CONVERGENCE_S = 0.5  # ERLE is measured after this much of each reply

REPLIES = (
    "The weather today is sunny with a light breeze from the west.",
    "Your meeting with the design team starts at three o'clock this afternoon.",
    "Paris is the capital of France and home to about two million people.",
    "I have added milk, eggs and fresh bread to your shopping list.",
    "The train to Berlin leaves from platform seven in twenty minutes.",
    "A good night's sleep helps your memory more than an extra hour of study.",
    "Sure, I will remind you to call your sister tomorrow morning.",
    "The museum is open until six, and entry is free on Sundays.",
    "Water boils at one hundred degrees Celsius at sea level.",
    "Your package was delivered this morning and left at the front door.",
)
USER_UTTERANCE = "Wait, stop, I have another question about that."


@cache
def _voice(text: str, rate: int, dbfs: float, voice: str = "en-us") -> np.ndarray:
    """espeak-ng speech at ``rate``, scaled so its voiced part has an RMS of ``dbfs``."""
    samples = synthesize_speech(text, voice=voice, rate=rate).astype(np.float64)
    voiced = samples[np.abs(samples) > 0.01 * np.abs(samples).max()]
    scale = 32768.0 * 10 ** (dbfs / 20) / np.sqrt(np.mean(voiced**2))
    return np.clip(np.rint(samples * scale), -32768, 32767).astype(np.int16)


def reply(index: int, rate: int = TTS_RATE) -> np.ndarray:
    return _voice(REPLIES[index], rate, SPEAKER_DBFS)


def user(rate: int = MIC_RATE) -> np.ndarray:
    return _voice(USER_UTTERANCE, rate, USER_DBFS, voice="en-us+f3")


def run_room(
    path: AcousticPath,
    canceller: EchoCanceller | None,
    total_s: float,
    far: Sequence[tuple[float, np.ndarray]] = (),
    near: Sequence[tuple[float, np.ndarray]] = (),
    far_rate: int = TTS_RATE,
    reference_chunks: np.random.Generator | None = None,
    continuous_speaker: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Play ``far`` (start second, samples at ``far_rate``) to the speaker and ``near`` (16 kHz) into the room,
    20 ms at a time, as the output writer and the input callback would: each speaker block is pushed as reference
    and played, then the microphone block is captured and cleaned. The speaker is idle outside ``far``; a reply
    whose start is not on a 20 ms boundary starts playing that far into the microphone block, as a real speaker
    that ran dry starts whenever it is written to.

    With ``reference_chunks``, each speaker block reaches ``push_reference`` cut into random pieces of any byte
    length. With ``continuous_speaker``, the speaker never runs dry: silence is played and pushed between replies.
    Returns (microphone, canceller output), int16 at 16 kHz; the output is the microphone without a canceller.
    """
    blocks = round(total_s / BLOCK_S)
    far_block = round(far_rate * BLOCK_S)
    near_track = np.zeros(blocks * MIC_BLOCK, np.int64)
    for start, samples in near:
        at = round(start * MIC_RATE)
        near_track[at : at + len(samples)] += samples[: len(near_track) - at]
    near_track = np.clip(near_track, -32768, 32767).astype(np.int16)
    speaker: dict[int, bytes] = {}
    phase: dict[int, float] = {}
    for start, samples in far:
        first = int(start / BLOCK_S + 1e-9)
        phase[first] = start - first * BLOCK_S
        padded = np.concatenate([samples, np.zeros(-len(samples) % far_block, np.int16)])
        for k in range(len(padded) // far_block):
            speaker[first + k] = padded[k * far_block : (k + 1) * far_block].tobytes()

    mic_out, clean_out = [], []
    for i in range(blocks):
        block = speaker.get(i, bytes(2 * far_block) if continuous_speaker and i >= min(speaker, default=0) else None)
        if block is not None:
            path.feed_speaker(block, far_rate, idle_offset_s=phase.get(i, 0.0))
            if canceller is not None:
                if reference_chunks is None:
                    canceller.push_reference(block, far_rate)
                else:
                    cuts = np.sort(reference_chunks.integers(0, len(block), size=3))
                    for piece in np.split(np.frombuffer(block, np.uint8), cuts):
                        canceller.push_reference(piece.tobytes(), far_rate)
        mic = path.mix_into_mic(near_track[i * MIC_BLOCK : (i + 1) * MIC_BLOCK].tobytes())
        clean = canceller.process_capture(mic) if canceller is not None else mic
        assert len(clean) == len(mic)
        mic_out.append(mic)
        clean_out.append(clean)
    return (np.frombuffer(b"".join(mic_out), np.int16), np.frombuffer(b"".join(clean_out), np.int16))


def erle_db(mic: np.ndarray, clean: np.ndarray, start_s: float, stop_s: float) -> float:
    """Echo return loss enhancement over a stretch where the microphone hears only the echo."""
    a, b = round(start_s * MIC_RATE), round(stop_s * MIC_RATE)
    before = np.sum(mic[a:b].astype(np.float64) ** 2)
    after = np.sum(clean[a:b].astype(np.float64) ** 2)
    return float(10 * np.log10(before / max(after, 1.0)))


async def vad_onsets(audio: np.ndarray) -> list[float]:
    """Seconds at which Pipecat's Silero VAD (16 kHz, default VADParams) enters SPEAKING, fed 20 ms chunks."""
    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.audio.vad.vad_analyzer import VADState

    vad = SileroVADAnalyzer(sample_rate=MIC_RATE)
    vad.set_sample_rate(MIC_RATE)
    onsets, state = [], VADState.QUIET
    try:
        for index in range(0, len(audio) - MIC_BLOCK + 1, MIC_BLOCK):
            new_state = await vad.analyze_audio(audio[index : index + MIC_BLOCK].tobytes())
            if new_state == VADState.SPEAKING and state != VADState.SPEAKING:
                onsets.append((index + MIC_BLOCK) / MIC_RATE)
            state = new_state
    finally:
        await vad.cleanup()
    return onsets


def delay_samples(before: np.ndarray, after: np.ndarray, max_lag: int) -> int:
    """The lag (0..max_lag samples) at which ``after`` best matches ``before``, by cross-correlation."""
    x = before.astype(np.float64)
    y = after.astype(np.float64)
    n = len(x) + len(y)
    spectrum = np.fft.rfft(y, n) * np.conj(np.fft.rfft(x, n))
    correlation = np.fft.irfft(spectrum, n)[: max_lag + 1]
    return int(np.argmax(correlation))


# --------------------------------------------------------------------------------------------- echo return loss


@pytest.mark.parametrize("delay_ms", DELAYS_MS)
def test_erle_on_a_reply_is_at_least_20_db(delay_ms):
    far = reply(0)
    reply_s = len(far) / TTS_RATE
    mic, clean = run_room(AcousticPath(delay_ms=delay_ms, seed=delay_ms), EchoCanceller(fill_idle_speaker=True), reply_s + 0.5, [(0.0, far)])

    whole = erle_db(mic, clean, 0.0, reply_s + 0.5)
    settled = erle_db(mic, clean, CONVERGENCE_S, reply_s + 0.5)
    print(f"\nERLE at {delay_ms} ms delay: {settled:.1f} dB after {CONVERGENCE_S} s, {whole:.1f} dB over the reply")
    assert settled >= 20.0
    assert whole >= 15.0, "the canceller should converge within the first half second"


def test_erle_holds_with_odd_reference_chunks_and_a_441_khz_speaker():
    """Re-framing odd chunks (odd byte counts included) and resampling 44.1 kHz must keep the reference in time."""
    far = reply(1, rate=44100)
    reply_s = len(far) / 44100
    mic, clean = run_room(
        AcousticPath(delay_ms=60, seed=7),
        EchoCanceller(fill_idle_speaker=True),
        reply_s + 0.5,
        [(0.0, far)],
        far_rate=44100,
        reference_chunks=np.random.default_rng(3),
    )
    settled = erle_db(mic, clean, CONVERGENCE_S, reply_s + 0.5)
    print(f"\nERLE with a 44.1 kHz speaker fed in odd chunks: {settled:.1f} dB")
    assert settled >= 20.0


# --------------------------------------------------------------------------------------------- added latency


@pytest.mark.parametrize("noise_suppression", [False, True], ids=["aec", "aec+ns"])
def test_added_latency_on_near_end_speech(noise_suppression):
    """The user speaks after a short reply, the speaker now idle: the canceller is running (it has a reference
    and is fed the idle speaker's silence) but there is no echo, so the output is the input delayed by the
    canceller's algorithmic delay alone (process_capture itself buffers nothing: each block comes back from the
    same call). Noise suppression adds its own delay on top; it is off by default."""
    near = user()
    user_start = 1.5
    canceller = EchoCanceller(noise_suppression=noise_suppression, fill_idle_speaker=True)
    mic, clean = run_room(
        AcousticPath(seed=11),
        canceller,
        user_start + len(near) / MIC_RATE + 0.5,
        far=[(0.0, reply(4)[: TTS_RATE // 2])],
        near=[(user_start, near)],
    )
    assert canceller.stats.silence_frames > 0
    start = round(user_start * MIC_RATE)
    mic, clean = mic[start:], clean[start:]

    lag = delay_samples(mic, clean, max_lag=MIC_RATE // 20)
    lag_ms = 1000 * lag / MIC_RATE
    aligned_in, aligned_out = mic[: len(mic) - lag], clean[lag:]
    level_db = 10 * np.log10(np.sum(aligned_out.astype(float) ** 2) / np.sum(aligned_in.astype(float) ** 2))
    label = "echo cancellation + noise suppression" if noise_suppression else "echo cancellation"
    print(f"\nadded latency ({label}): {lag_ms:.1f} ms ({lag} samples); near-end level change {level_db:+.2f} dB")
    if noise_suppression:
        assert lag_ms <= 16.0, "WebRTC's noise suppressor added 6 ms when this was written"
    else:
        assert lag_ms <= 10.0
    assert level_db > -3.0, "the user's voice must come through when nothing is playing"


# --------------------------------------------------------------------------------------------- false barge-in


@pytest.mark.asyncio
@pytest.mark.parametrize("delay_ms", DELAYS_MS)
async def test_without_cancellation_a_reply_triggers_the_vad(delay_ms):
    far = reply(0)
    mic, _ = run_room(AcousticPath(delay_ms=delay_ms, seed=delay_ms), None, len(far) / TTS_RATE + 0.5, [(0.0, far)])
    onsets = await vad_onsets(mic)
    print(f"\nno cancellation, {delay_ms} ms: VAD speech onsets at {onsets}")
    assert onsets, "the assistant's own echo should look like the user speaking"


@pytest.mark.asyncio
@pytest.mark.parametrize("delay_ms", DELAYS_MS)
async def test_ten_replies_in_a_row_produce_no_vad_speech(delay_ms):
    """One canceller for ten replies with about a second of silence between them, as in a conversation. Nothing
    is pushed as reference between replies (the transport writes nothing then), and each reply starts at a random
    point of a microphone block, as a speaker that ran dry does."""
    far, at = [], 0.5
    phases = np.random.default_rng(delay_ms).uniform(0.0, BLOCK_S, len(REPLIES))
    for index in range(len(REPLIES)):
        far.append((at + phases[index], reply(index)))
        at += len(far[-1][1]) / TTS_RATE + 1.0 + BLOCK_S
    canceller = EchoCanceller(fill_idle_speaker=True)
    mic, clean = run_room(AcousticPath(delay_ms=delay_ms, seed=100 + delay_ms), canceller, at, far)

    raw_onsets, clean_onsets = await asyncio.gather(vad_onsets(mic), vad_onsets(clean))
    replies_heard_raw = {i for i, (start, samples) in enumerate(far) for t in raw_onsets
                         if start <= t <= start + len(samples) / TTS_RATE + 0.5}
    erles = [erle_db(mic, clean, s, s + len(x) / TTS_RATE) for s, x in far]
    onset_erles = [erle_db(mic, clean, s, s + CONVERGENCE_S) for s, _ in far]
    replies_only = np.concatenate([np.arange(round(s * MIC_RATE), round((s + len(x) / TTS_RATE) * MIC_RATE))
                                   for s, x in far])
    overall = erle_db(mic[replies_only], clean[replies_only], 0.0, len(replies_only) / MIC_RATE)
    print(
        f"\n{delay_ms} ms: {at:.1f} s, ten replies; VAD onsets without cancellation {len(raw_onsets)} "
        f"(in {len(replies_heard_raw)} of 10 replies), with cancellation {clean_onsets}; ERLE over all replies "
        f"{overall:.1f} dB, per reply {min(erles):.1f}..{max(erles):.1f} dB, in each reply's first "
        f"{CONVERGENCE_S} s {min(onset_erles):.1f}..{max(onset_erles):.1f} dB; "
        f"{canceller.stats.mean_block_ms:.3f} ms per block"
    )
    assert len(replies_heard_raw) >= 8, "the scenario must be one where echo does trigger the VAD"
    assert clean_onsets == []
    assert overall >= 20.0


def test_a_speaker_that_never_runs_dry_keeps_every_reply_start_cancelled():
    """What the transport gains by writing (and pushing) silence while idle: the echo's delay against the reference
    never changes, so no reply starts with the canceller re-adapting. Replies start at random points of a block."""
    far, at = [], 0.5
    phases = np.random.default_rng(1).uniform(0.0, BLOCK_S, 5)
    for index in range(5):
        far.append((at + phases[index], reply(index)))
        at += len(far[-1][1]) / TTS_RATE + 1.0 + BLOCK_S
    results = {}
    for continuous in (False, True):
        canceller = EchoCanceller(fill_idle_speaker=not continuous)
        mic, clean = run_room(AcousticPath(delay_ms=120, seed=3), canceller, at, far, continuous_speaker=continuous)
        results[continuous] = [erle_db(mic, clean, s, s + CONVERGENCE_S) for s, _ in far[1:]]
    print(
        f"\nERLE in the first {CONVERGENCE_S} s of replies 2-5: speaker running dry "
        + " ".join(f"{e:.0f}" for e in results[False])
        + " dB; speaker never dry "
        + " ".join(f"{e:.0f}" for e in results[True])
        + " dB"
    )
    assert min(results[True]) >= 30.0


# --------------------------------------------------------------------------------------------- idle skipping


def test_replies_after_a_long_idle_are_cancelled_from_their_first_block():
    """The speaker plays (and pushes) silence between replies, long enough that the canceller skips its work: its
    state must stay aligned, so each reply after a long idle is cancelled from its start as well as without the
    skipping (the never-dry test above), at a delay and at a block phase that differ from reply to reply."""
    far, at = [], 0.5
    phases = np.random.default_rng(7).uniform(0.0, BLOCK_S, 4)
    for index in range(4):
        far.append((at + phases[index], reply(index)))
        at += len(far[-1][1]) / TTS_RATE + IDLE_SKIP_AFTER_S + 1.5 + BLOCK_S
    canceller = EchoCanceller()
    mic, clean = run_room(AcousticPath(delay_ms=120, seed=5), canceller, at, far, continuous_speaker=True)
    starts = [erle_db(mic, clean, s, s + CONVERGENCE_S) for s, _ in far[1:]]
    print(
        f"\nERLE in the first {CONVERGENCE_S} s of replies 2-4 after {IDLE_SKIP_AFTER_S + 1.5:.1f} s idle: "
        + " ".join(f"{e:.0f}" for e in starts)
        + f" dB; {canceller.stats.skipped_blocks} idle blocks skipped"
    )
    # Each idle stretch is 1.5 s past the skip threshold: about 75 blocks each, three stretches.
    assert canceller.stats.skipped_blocks >= 3 * 60
    assert min(starts) >= 30.0


def test_skipped_idle_blocks_are_the_microphone_delayed_as_the_canceller_delays_it():
    """Near-end speech runs across the switch into skipping and across the switch back when a reply starts: the
    output stays the input delayed by the canceller's own delay, never losing or repeating a sample."""
    near = user()
    first_reply_s = 0.5
    reply_at = 0.0 + first_reply_s + IDLE_SKIP_AFTER_S + 1.0
    canceller = EchoCanceller()
    total = reply_at + 1.0
    near_track = np.concatenate([near] * (int(total * MIC_RATE) // len(near) + 1))
    mic, clean = run_room(
        AcousticPath(delay_ms=60, seed=9),
        canceller,
        total,
        far=[(0.0, reply(4)[: round(first_reply_s * TTS_RATE)]), (reply_at, reply(5))],
        near=[(0.0, near_track)],
        continuous_speaker=True,
    )
    assert canceller.stats.skipped_blocks > 0
    lag = delay_samples(mic[MIC_RATE:], clean[MIC_RATE:], max_lag=MIC_RATE // 20)
    assert 0 < lag <= MIC_RATE // 100, "the canceller's delay is under 10 ms"
    # The stretch skipped entirely: from the threshold (plus the echo of the first reply's last block) to the reply.
    skip_from = round((first_reply_s + IDLE_SKIP_AFTER_S + 0.1) * MIC_RATE)
    resume = round(reply_at / BLOCK_S) * MIC_BLOCK  # the block the reply's first reference comes before
    np.testing.assert_array_equal(clean[skip_from:resume], mic[skip_from - lag : resume - lag])
    # The first block processed again starts with the input the delay line held, not the module's stale samples.
    np.testing.assert_array_equal(clean[resume : resume + lag], mic[resume - lag : resume])


def test_a_reply_after_speech_that_ran_into_the_skipping_leaves_a_silent_microphone_silent():
    """The user's question runs across the switch into skipping, a pause follows, and the reply starts on a
    microphone that hears nothing (no echo reaches it, as on the engine tests' in-memory sound card): the output
    stays silent, as it does without the skipping. The module's capture state was left in the middle of the
    question; processed on it, the reply's first blocks came out with a burst of that speech (an RMS of up to 360,
    which the speech-to-text made words of, cutting a hands-free reply off after three words). Skipping starts at
    a different point of the question each time."""
    question = synthesize_speech("Can you recommend a good book to read this weekend?")
    first_words = reply(0)
    pause_s = 1.0
    loudest = []
    for question_at in np.arange(0.4, 2.4, 0.2):  # skipping starts IDLE_SKIP_AFTER_S into the microphone's audio
        mic = np.concatenate([np.zeros(round(question_at * MIC_RATE), np.int16), question])
        reply_block = int((len(mic) / MIC_RATE + pause_s) / BLOCK_S)
        blocks = reply_block + round(0.5 / BLOCK_S)
        mic = np.concatenate([mic, np.zeros(blocks * MIC_BLOCK - len(mic), np.int16)])
        speaker_block = round(TTS_RATE * BLOCK_S)
        canceller = EchoCanceller()
        out = []
        for i in range(blocks):  # the speaker plays (and pushes) silence until the reply, as the transport does
            k = i - reply_block
            far = first_words[k * speaker_block : (k + 1) * speaker_block] if k >= 0 else np.zeros(0, np.int16)
            canceller.push_reference(np.pad(far, (0, speaker_block - len(far))).tobytes(), TTS_RATE)
            out.append(np.frombuffer(canceller.process_capture(mic[i * MIC_BLOCK : (i + 1) * MIC_BLOCK].tobytes()),
                                     np.int16))
        assert canceller.stats.skipped_blocks > 0
        rms = [float(np.sqrt(np.mean(block.astype(np.float64) ** 2))) for block in out[reply_block:]]
        loudest.append(max(rms))
    print("\nloudest 20 ms of each reply's first 0.5 s on a silent microphone (RMS): "
          + " ".join(f"{value:.0f}" for value in loudest))
    assert max(loudest) < 4.0, "a silent microphone must stay (next to) silent as the reply starts"


def test_noise_suppression_is_never_skipped():
    canceller = EchoCanceller(noise_suppression=True)
    run_room(AcousticPath(seed=2), canceller, IDLE_SKIP_AFTER_S + 1.0, far=[(0.0, reply(1)[: TTS_RATE // 5])],
             continuous_speaker=True)
    assert canceller.stats.skipped_blocks == 0


# --------------------------------------------------------------------------------------------- double talk


@pytest.mark.asyncio
@pytest.mark.parametrize("delay_ms", DELAYS_MS)
async def test_user_talking_over_a_reply_is_still_detected(delay_ms):
    far = reply(2)
    near = user()
    user_start = 1.5
    user_stop = user_start + len(near) / MIC_RATE
    mic, clean = run_room(
        AcousticPath(delay_ms=delay_ms, seed=200 + delay_ms),
        EchoCanceller(fill_idle_speaker=True),
        max(len(far) / TTS_RATE, user_stop) + 0.5,
        far=[(0.0, far)],
        near=[(user_start, near)],
    )
    onsets = await vad_onsets(clean)
    print(f"\ndouble talk, {delay_ms} ms: user speaks {user_start:.2f}-{user_stop:.2f} s, VAD onsets {onsets}")
    assert onsets, "the user's barge-in must still be heard"
    assert all(user_start <= t <= user_stop + 0.5 for t in onsets), "only the user may trigger the VAD"
    assert onsets[0] <= user_start + 1.0, "the barge-in should be detected within a second"


# --------------------------------------------------------------------------------------------- robustness


def test_disabled_canceller_is_a_bit_exact_pass_through():
    rng = np.random.default_rng(5)
    block = rng.integers(-20000, 20000, MIC_BLOCK, dtype=np.int16).tobytes()
    canceller = EchoCanceller(enabled=False)
    canceller.push_reference(reply(0)[:4800].tobytes(), TTS_RATE)
    assert canceller.process_capture(block) == block
    assert canceller.stats.capture_blocks == 0

    running = EchoCanceller(fill_idle_speaker=True)
    running.push_reference(reply(0)[:4800].tobytes(), TTS_RATE)
    assert running.process_capture(block) != block, "an enabled canceller processes the block"
    running.set_enabled(False)
    assert running.process_capture(block) == block
    running.set_noise_suppression(True)
    assert running.process_capture(block) != block, "noise suppression alone still processes the block"
    running.set_noise_suppression(False)
    assert running.process_capture(block) == block


def test_capture_blocks_that_are_not_whole_10ms_frames_pass_through():
    canceller = EchoCanceller(fill_idle_speaker=True)
    odd = np.arange(250, dtype=np.int16).tobytes()
    assert canceller.process_capture(odd) == odd
    assert canceller.process_capture(b"") == b""
    assert canceller.stats.passthrough_blocks == 2
    assert canceller.failure is None


def test_odd_reference_chunks_and_rates_do_not_crash_the_process():
    """Run in a child process: a frame the binding rejects would abort the interpreter, not raise."""
    script = textwrap.dedent(
        """
        import numpy as np
        from desktop_agent.engine.echo import EchoCanceller

        rng = np.random.default_rng(1)
        canceller = EchoCanceller(fill_idle_speaker=True)
        rates = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 7999, 24001]
        for step in range(600):
            rate = rates[(step // 7) % len(rates)]
            size = int(rng.integers(0, 5000))
            channels = 2 if step % 97 == 0 else 1
            canceller.push_reference(rng.integers(-3000, 3000, size, dtype=np.int16).tobytes()[: size - step % 2],
                                     rate, channels)
            out = canceller.process_capture(rng.integers(-3000, 3000, 320, dtype=np.int16).tobytes())
            assert len(out) == 640
        canceller.push_reference(b"\\x01\\x02\\x03", 0)
        canceller.push_reference(b"\\x01\\x02\\x03", -16000)
        assert canceller.failure is None, canceller.failure
        assert canceller.active
        print("frames", canceller.stats.reference_frames)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 1000


def test_concurrent_reference_capture_and_toggles():
    """The output writer, the input callback and the settings thread all use one canceller at once."""
    canceller = EchoCanceller(fill_idle_speaker=True)
    far = reply(3).tobytes()
    errors: list[BaseException] = []
    stop = threading.Event()

    def guarded(work):
        def run():
            try:
                work()
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        return threading.Thread(target=run)

    def writer():
        offset = 0
        while not stop.is_set():
            size = 1 + (offset * 7919) % 3000
            canceller.push_reference(far[offset % len(far) :][:size], TTS_RATE)
            offset += size

    def capturer():
        block = np.random.default_rng(2).integers(-3000, 3000, MIC_BLOCK, dtype=np.int16).tobytes()
        for _ in range(1500):
            assert len(canceller.process_capture(block)) == len(block)
        stop.set()

    def toggler():
        flip = False
        while not stop.is_set():
            flip = not flip
            canceller.set_noise_suppression(flip)
            canceller.set_enabled(not flip)
            canceller.set_enabled(True)
            if flip:
                canceller.reset()

    threads = [guarded(writer), guarded(capturer), guarded(toggler)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=100)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert canceller.failure is None
    assert canceller.enabled and canceller.active


def test_a_failing_binding_disables_the_canceller_once_and_passes_audio_through(monkeypatch):
    """The binding is made to fail with a stand-in method, since the real one does not fail on demand."""
    from loguru import logger

    canceller = EchoCanceller(fill_idle_speaker=True)
    block = np.random.default_rng(9).integers(-3000, 3000, MIC_BLOCK, dtype=np.int16).tobytes()
    canceller.process_capture(block)
    messages: list[str] = []
    sink = logger.add(messages.append, level="ERROR", format="{message}")
    try:
        def broken(_frame):
            raise RuntimeError("an RtcError occurred: Internal - Failed to process stream")

        monkeypatch.setattr(canceller._apm, "process_stream", broken)
        for _ in range(5):
            assert canceller.process_capture(block) == block
        canceller.push_reference(block, MIC_RATE)
    finally:
        logger.remove(sink)
    assert len(messages) == 1
    assert canceller.failure and "microphone still works" in canceller.failure
    assert not canceller.active

    canceller.reset()
    assert canceller.failure is None and canceller.active
    assert canceller.process_capture(block) != block


def test_stats_count_frames_and_time():
    canceller = EchoCanceller(fill_idle_speaker=True)
    far = reply(4)[: TTS_RATE].tobytes()  # one second
    canceller.push_reference(far, TTS_RATE)
    for _ in range(10):
        canceller.process_capture(bytes(2 * MIC_BLOCK))
    stats = canceller.stats
    assert stats.reference_frames == 100
    assert stats.capture_blocks == 10 and stats.capture_frames == 20
    assert stats.capture_ms > 0 and stats.max_block_ms >= stats.mean_block_ms > 0
    assert stats.silence_frames == 0, "the pushed second of reference covers these blocks"
    canceller.reset()
    assert canceller.stats.capture_blocks == 0

    canceller.push_reference(far[: 2 * TTS_RATE // 50], TTS_RATE)  # 20 ms, then the speaker falls idle
    for _ in range(10):
        canceller.process_capture(bytes(2 * MIC_BLOCK))
    assert canceller.stats.silence_frames == 18, "the idle speaker's silence is fed as reference"

    continuous = EchoCanceller(fill_idle_speaker=False)
    continuous.push_reference(far[: 2 * TTS_RATE // 50], TTS_RATE)
    for _ in range(10):
        continuous.process_capture(bytes(2 * MIC_BLOCK))
    assert continuous.stats.silence_frames == 0
