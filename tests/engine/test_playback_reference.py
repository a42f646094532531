"""The echo canceller's reference is handed over as the device plays it, not when it is written
(engine/playback_reference.py).

A fake clock stands in for time (the behaviour is about positions on the playback timeline, and a real clock would
make the tests depend on the machine's load); the device is modelled by what the speaker thread would read from it,
its count of queued audio.
"""

from __future__ import annotations

import numpy as np

from desktop_agent.engine.acoustic import AcousticPath
from desktop_agent.engine.echo import IDLE_SKIP_AFTER_S, EchoCanceller
from desktop_agent.engine.playback_reference import RESYNC_SECS, PlaybackReference
from tests.engine.test_echo import CONVERGENCE_S, erle_db, reply

RATE = 24000
MIC_RATE = 16000
BLOCK = 320  # microphone frames per 20 ms block
PER_BLOCK = RATE * BLOCK // MIC_RATE  # speaker samples played during one block


class Device:
    """A sound card's playback side in simulated time: plays on without pause, silence when it has nothing."""

    def __init__(self, reference: PlaybackReference, clock: list[float], room: AcousticPath | None = None):
        self.reference = reference
        self.clock = clock
        self.room = room
        self.play_end = 0.0
        self.timeline: list[tuple[float, np.ndarray]] = []  # (play start, samples): what really plays, and when

    def queued(self) -> float:
        return max(0.0, self.play_end - self.clock[0])

    def write(self, samples: np.ndarray) -> None:
        self.reference.written(samples.tobytes(), RATE, self.queued())
        starts = max(self.play_end, self.clock[0])
        self.timeline.append((starts, samples))
        if self.room is not None:  # never dry after the first write: the room hears one continuous stream
            self.room.feed_speaker(samples.tobytes(), RATE)
        self.play_end = starts + len(samples) / RATE

    def played(self, start: float, end: float) -> np.ndarray:
        """What the device played between two times, sample by sample (silence where nothing was written)."""
        out = np.zeros(round((end - start) * RATE), np.int16)
        for at, samples in self.timeline:
            offset = round((at - start) * RATE)
            lo, hi = max(offset, 0), min(offset + len(samples), len(out))
            if lo < hi:
                out[lo:hi] = samples[lo - offset : hi - offset]
        return out


def find(haystack: np.ndarray, needle: np.ndarray) -> int:
    """Where ``needle`` starts in ``haystack`` (its first 64 samples identify it)."""
    head = needle[:64]
    windows = np.lib.stride_tricks.sliding_window_view(haystack, len(head))
    return int(np.flatnonzero((windows == head).all(axis=1))[0])


def handed(reference: PlaybackReference) -> np.ndarray:
    pieces = reference.take(BLOCK, MIC_RATE)
    assert all(rate == RATE for _, rate in pieces)
    return np.frombuffer(b"".join(pcm for pcm, _ in pieces), np.int16)


def run(
    schedule,
    seconds: float,
    *,
    low_water: float = 0.010,
    buffer: float = 0.040,
    step: float = 0.0005,
    room: AcousticPath | None = None,
    canceller: EchoCanceller | None = None,
):
    """Simulate the speaker thread and the microphone: ``schedule`` maps a time to reply samples that arrive then.
    While idle, 10 ms of silence goes in whenever the device holds less than ``low_water``; a reply is written
    60 ms at a time whenever the device holds at most ``buffer``. Returns the device and, per microphone block,
    (block end time, reference handed before it). With a ``room`` and a ``canceller``, each block's reference is
    pushed to the canceller and the microphone block (the room's echo) goes through it; the device records both as
    ``mic`` and ``clean``."""
    clock = [0.0]
    reference = PlaybackReference(clock=lambda: clock[0])
    device = Device(reference, clock, room)
    device.mic, device.clean = [], []
    waiting: list[np.ndarray] = []
    arrivals = sorted(schedule.items())
    blocks: list[tuple[float, np.ndarray]] = []
    next_block = 0.02
    while clock[0] < seconds:
        clock[0] = round(clock[0] + step, 9)
        while arrivals and arrivals[0][0] <= clock[0]:
            waiting.append(arrivals.pop(0)[1])
        if waiting and device.queued() <= buffer:
            part, waiting[0] = waiting[0][: round(0.06 * RATE)], waiting[0][round(0.06 * RATE) :]
            if not len(waiting[0]):
                waiting.pop(0)
            device.write(part)
        elif not waiting and device.queued() <= low_water:
            device.write(np.zeros(RATE // 100, np.int16))
        if clock[0] >= next_block - 1e-9:
            blocks.append((next_block, handed(reference)))
            next_block = round(next_block + 0.02, 9)
            if room is not None and canceller is not None:
                canceller.push_reference(blocks[-1][1].tobytes(), RATE)
                mic = room.mix_into_mic(bytes(2 * BLOCK))
                device.mic.append(mic)
                device.clean.append(canceller.process_capture(mic))
    return device, blocks


def tone(seconds: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-8000, 8000, round(seconds * RATE)).astype(np.int16)


def test_each_block_gets_what_the_device_played_during_it_whatever_the_buffer_depth():
    """Idle, the device holds 10-20 ms of silence; a reply fills it to 40-100 ms. Handed at each write, the reference
    would run that much further ahead at each reply start; handed by position, every block gets one block's worth,
    and it is exactly what the device played during that block: the same lead before and after the switch."""
    replies = {0.5031: tone(0.7, 1), 2.0177: tone(0.5, 2)}
    device, blocks = run(replies, 3.0)
    # The count starts at the first block, with what has played by then; from then on, one block's worth a block.
    assert all(len(reference) == PER_BLOCK for _, reference in blocks[1:])
    assert all(
        np.array_equal(reference, device.played(end - 0.02, end)) for end, reference in blocks[1:]
    ), "a block was handed audio other than what played during it"
    everything = np.concatenate([reference for _, reference in blocks])
    for audio in replies.values():  # every reply sample reached the canceller, once, in order
        at = find(everything, audio)
        np.testing.assert_array_equal(everything[at : at + len(audio)], audio)


def test_a_reply_is_handed_over_when_it_plays_not_when_it_is_written():
    audio = tone(0.3, 3)
    device, blocks = run({1.0101: audio}, 1.6)
    written_at = 1.0105  # the first step after its arrival
    heard_at = next(at for at, samples in device.timeline if samples.any())  # the reply's first write
    assert 0.0 < heard_at - written_at <= 0.020 + 1e-9, "the reply waited behind more than the idle low-water mark"
    everything = np.concatenate([reference for _, reference in blocks])
    at = find(everything, audio)  # handed in the block during which it plays
    ends = np.cumsum([len(reference) for _, reference in blocks])
    block_with_start = blocks[int(np.searchsorted(ends, at, side="right"))][0]
    assert block_with_start - 0.02 <= heard_at < block_with_start


def test_a_device_that_ran_dry_puts_silence_before_the_next_write():
    clock = [0.0]
    reference = PlaybackReference(clock=lambda: clock[0])
    device = Device(reference, clock)
    first, second = tone(0.04, 4), tone(0.1, 5)
    device.write(first)
    clock[0] = 0.07  # 30 ms after the device ran out
    device.write(second)
    got = []
    for end in np.arange(0.02, 0.24, 0.02):
        clock[0] = float(end)
        got.append(handed(reference))
    timeline = np.concatenate(got)
    assert reference.gaps == 1
    at = find(timeline, first)
    np.testing.assert_array_equal(timeline[at : at + len(first)], first)
    gap = timeline[at + len(first) : at + len(first) + round(0.03 * RATE)]
    assert not gap.any() and len(gap) == round(0.03 * RATE)
    np.testing.assert_array_equal(timeline[at + len(first) + len(gap) :][: len(second)], second)


def test_audio_not_written_yet_is_waited_for_not_replaced_by_silence():
    """The count reaching the end of what was written while the device still plays (a late microphone block
    against an early count, a writer a little behind): the block gets what there is, the rest comes with the next
    block, and no silence is made up in between."""
    clock = [0.0]
    reference = PlaybackReference(clock=lambda: clock[0])
    device = Device(reference, clock)
    audio = tone(0.2, 6)
    device.write(audio[: round(0.025 * RATE)])
    clock[0] = 0.02
    first = handed(reference)
    clock[0] = 0.0205  # the writer catches up before the device runs out
    device.write(audio[round(0.025 * RATE) :])
    clock[0] = 0.04
    second = handed(reference)
    clock[0] = 0.06
    third = handed(reference)
    joined = np.concatenate([first, second, third])
    assert reference.gaps == 0
    np.testing.assert_array_equal(joined, audio[: len(joined)])


def test_a_stalled_microphone_restarts_the_count_from_the_clock():
    """After a stall far longer than any callback's lateness, the next block gets one block's worth from where the
    device is playing now, not the backlog that played meanwhile."""
    device, _ = run({}, 0.5)
    reference = device.reference
    clock = device.clock
    assert reference.restarts == 1
    for _ in range(round((RESYNC_SECS + 0.5) / 0.01)):  # the speaker goes on; no microphone block is taken
        clock[0] += 0.01
        device.write(tone(0.01, 7))
    clock[0] += 0.005
    got = handed(reference)
    assert reference.restarts == 2
    assert len(got) == PER_BLOCK
    np.testing.assert_array_equal(got, device.played(clock[0] - 0.02, clock[0]))


def test_clear_starts_a_new_timeline():
    clock = [0.0]
    reference = PlaybackReference(clock=lambda: clock[0])
    device = Device(reference, clock)
    device.write(tone(0.05, 8))
    reference.clear()
    clock[0] = 0.02
    assert handed(reference).size == 0, "audio of a closed stream was handed over"


def test_replies_into_a_shallow_idle_buffer_are_cancelled_from_their_first_block():
    """The real canceller, a simulated room, a speaker that keeps only 10-20 ms of silence queued while idle and
    40-100 ms during a reply: with the reference handed over by playback position, each reply is cancelled from its
    start, after short idles and after idles long enough for the canceller to skip its work, at block phases that
    differ from reply to reply (about 45 dB measured, as with a buffer kept full)."""
    phases = np.random.default_rng(11).uniform(0.0, 0.02, 6)
    schedule, at, idles = {}, 0.5, (1.0, 1.0, IDLE_SKIP_AFTER_S + 1.5, 0.6, IDLE_SKIP_AFTER_S + 1.5, 1.0)
    for index in range(6):
        start = round(at + phases[index], 4)
        schedule[start] = reply(index)
        at = start + len(schedule[start]) / RATE + idles[index]
    canceller = EchoCanceller()
    device, _ = run(schedule, at, room=AcousticPath(delay_ms=90, seed=9), canceller=canceller)
    mic = np.frombuffer(b"".join(device.mic), np.int16)
    clean = np.frombuffer(b"".join(device.clean), np.int16)
    starts = [erle_db(mic, clean, start, start + CONVERGENCE_S) for start in list(schedule)[1:]]
    print(
        f"\nERLE in the first {CONVERGENCE_S} s of replies 2-6 into a 10 ms idle buffer: "
        + " ".join(f"{e:.0f}" for e in starts)
        + f" dB; {canceller.stats.skipped_blocks} idle blocks skipped"
    )
    assert canceller.stats.skipped_blocks > 100, "the long idles must be ones the canceller skips"
    assert min(starts) >= 35.0
