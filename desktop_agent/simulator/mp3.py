"""MP3 for the simulator's TTS emulators, through the optional ``lameenc`` encoder (LAME bindings, wheels on PyPI).

The app itself only ever asks for PCM, so the encoder is not one of its dependencies (the installer stays as it
was); it comes with the ``test`` and ``bench`` extras, for clients that ask for MP3 as real ones do (LiveKit's
ElevenLabs plugin asks for ``mp3_22050_32`` by default). Without it, :func:`encoder_missing` gives the sentence the
emulator refuses an MP3 request with.

:class:`Mp3Stream` encodes one stream of audio as it is synthesized: :meth:`~Mp3Stream.encode` returns the frames
LAME has completed so far (possibly none: it holds back up to a frame and its look-ahead), :meth:`~Mp3Stream.flush`
the rest. Streams flushed one after another may be concatenated: each starts a fresh frame sequence, as a decoder
reading one long stream expects.
"""

from __future__ import annotations

import importlib.util
from typing import Any

#: ElevenLabs' MP3 output formats: ``mp3_<sample rate>_<kbit/s>``.
MP3_FORMATS = {
    "mp3_22050_32": (22050, 32),
    "mp3_24000_48": (24000, 48),
    "mp3_44100_32": (44100, 32),
    "mp3_44100_64": (44100, 64),
    "mp3_44100_96": (44100, 96),
    "mp3_44100_128": (44100, 128),
    "mp3_44100_192": (44100, 192),
}


def encoder_missing() -> str | None:
    """None when MP3 can be encoded here, else why not, in a sentence that says what to install."""
    if importlib.util.find_spec("lameenc") is not None:
        return None
    # Short enough for a websocket close reason (123 bytes).
    return "MP3 needs the optional 'lameenc' package (pip install lameenc, or the test or bench extra); PCM needs none."


class Mp3Stream:
    """One MP3 stream of mono 16-bit PCM at ``rate``, encoded at ``kbps`` (constant bit rate)."""

    def __init__(self, rate: int, kbps: int) -> None:
        import lameenc

        self._encoder: Any = lameenc.Encoder()
        self._encoder.set_in_sample_rate(rate)
        self._encoder.set_out_sample_rate(rate)  # LAME would pick a lower rate for a low bit rate by itself
        self._encoder.set_channels(1)
        self._encoder.set_bit_rate(kbps)
        self._encoder.set_quality(7)  # LAME's fast end: the simulator's voice needs no finer analysis
        self._encoder.silence()

    def encode(self, pcm: bytes) -> bytes:
        return bytes(self._encoder.encode(pcm))

    def flush(self) -> bytes:
        return bytes(self._encoder.flush())


def encode(pcm: bytes, rate: int, kbps: int) -> bytes:
    """A whole utterance as one MP3 stream."""
    stream = Mp3Stream(rate, kbps)
    return stream.encode(pcm) + stream.flush()
