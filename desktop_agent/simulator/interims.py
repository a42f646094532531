"""The interim transcripts of the streaming speech-to-text emulators (Cartesia ink-whisper, Deepgram), written the
way a real streaming recogniser writes them rather than read off the script, so an app that acts on interims (a
reply started on the last interim at the push-to-talk release) is measured against the misses it would meet.

Three habits of real recognisers, each a knob of the latency profile (:mod:`profiles`):

* **Lag** (``stt_interim_lag``): a word shows up only once that many seconds of audio have followed it. Words are
  placed at :data:`SECONDS_PER_WORD` each from the start of the speech; while speech goes on the last word of the
  utterance is never shown (the recogniser has not heard it end).
* **Revisions** (``stt_interim_revision_rate``): with that probability an interim's newest word is misheard (a
  homophone, or a near word); the next interim with more words has it right, so the earlier word is revised.
* **The last word at the release** (``stt_last_word_miss_share``): once the speech pauses for
  :data:`CATCH_UP_PAUSE_S` the recogniser catches up and sends an interim with every word heard (at most one per
  :data:`FASTEST_SECONDS_PER_WORD`), except in that share of utterances, where the last word is still missing and
  comes only with the final.

Finals stay exact: the emulators take them from the script as before; only interims are written here.

Everything is deterministic for a given ``stt_interim_seed``: an emulator numbers the utterances it hears, the
utterances that miss their last word are exactly the share's part of each run of :data:`DECK` consecutive ones
(their places in the run drawn from the seed), and whether an interim of ``n`` words is misheard is drawn from the
seed, the utterance's number and ``n``, so the same audio gives the same interims however the frames are timed.
"""

from __future__ import annotations

import math
import random

from desktop_agent.simulator.profiles import LatencyProfile

#: Where words are placed on the audio: the pace of the benchmark's espeak voice (175 words a minute is 0.34 s).
SECONDS_PER_WORD = 0.3
#: A pause after speech this long makes the recogniser catch up (its interim holds every word it will show before
#: the final). Well within the benchmark's 100 ms between the last word and the push-to-talk release: the emulators
#: see 60 to 100 ms of it before the release, by where the level gate puts the end of the last word.
CATCH_UP_PAUSE_S = 0.04
#: A catch-up shows at most one word per this many seconds of speech (the fastest pace of the benchmark's sentences
#: is 0.19 s a word), so a short pause inside a sentence does not show words not yet spoken.
FASTEST_SECONDS_PER_WORD = 0.18
#: Utterances are dealt in runs of this many; each run holds exactly the share's part of last-word misses.
DECK = 20

#: Words a recogniser commonly hears as another (lower case); others are misheard by :func:`misheard`'s rule.
HOMOPHONES = {
    "for": "four",
    "to": "two",
    "too": "to",
    "there": "their",
    "their": "there",
    "weather": "whether",
    "right": "write",
    "hear": "here",
    "here": "hear",
    "new": "knew",
    "one": "won",
    "by": "buy",
    "know": "no",
    "week": "weak",
    "our": "hour",
    "would": "wood",
    "see": "sea",
    "tea": "tee",
    "in": "and",
    "a": "the",
    "is": "as",
}
_EDGE = ".,!?;:\"'()"


def misheard(word: str) -> str:
    """``word`` as a recogniser might mishear it: a homophone, else the word with its plural ``s`` dropped or added.
    Punctuation around the word and a leading capital are kept."""
    core = word.strip(_EDGE)
    if not core:
        return word
    start = word.index(core)
    lower = core.lower()
    if lower in HOMOPHONES:
        other = HOMOPHONES[lower]
    elif lower.endswith("s") and len(lower) > 3:
        other = lower[:-1]
    else:
        other = lower + "s"
    if core[0].isupper():
        other = other[0].upper() + other[1:]
    return word[:start] + other + word[start + len(core) :]


def misses_last_word(share: float, seed: int, index: int) -> bool:
    """Whether utterance ``index`` (0, 1, ...) misses its last word at the release: in each run of :data:`DECK`
    utterances, exactly the share's part (rounded so that the runs together keep the share), at places drawn from
    ``seed``."""
    share = min(1.0, max(0.0, share))
    run, place = divmod(index, DECK)
    misses = math.floor(share * DECK * (run + 1) + 1e-9) - math.floor(share * DECK * run + 1e-9)
    places = random.Random(f"{seed}/last-word/{run}").sample(range(DECK), misses)
    return place in places


class InterimWriter:
    """The interims of one utterance: call :meth:`text` each time an interim may go out."""

    def __init__(self, profile: LatencyProfile, index: int) -> None:
        self.lag = max(0.0, profile.stt_interim_lag)
        self.revision_rate = min(1.0, max(0.0, profile.stt_interim_revision_rate))
        self.seed = profile.stt_interim_seed
        self.index = index
        self.misses_last_word = misses_last_word(profile.stt_last_word_miss_share, self.seed, index)
        self.shown = 0  # the most words an interim has shown: interims never take words back

    def text(self, words: list[str], heard: float, paused: bool) -> str:
        """The interim after ``heard`` seconds of speech; ``paused`` once the speech has paused for
        :data:`CATCH_UP_PAUSE_S` (the recogniser catches up)."""
        if paused:
            count = len(words) - 1 if self.misses_last_word else len(words)
            count = min(count, int(heard / FASTEST_SECONDS_PER_WORD) + 1)
        else:
            count = int((heard - self.lag) / SECONDS_PER_WORD) + 1 if heard > self.lag else 0
            count = min(count, len(words) - 1) if len(words) > 1 else min(count, len(words))
        self.shown = count = max(self.shown, count)
        shown = words[:count]
        if shown and not paused and self._misheard(count):
            shown[-1] = misheard(shown[-1])
        return " ".join(shown)

    def _misheard(self, count: int) -> bool:
        if self.revision_rate <= 0.0:
            return False
        return random.Random(f"{self.seed}/revision/{self.index}/{count}").random() < self.revision_rate
