"""``l CODE`` in the console: when the voice cannot speak the new language, the session gets one that can with the
language, and the console says which voice now speaks. Real console and engine against the simulator (its
text-to-speech voices speak English, Spanish, French or German); no sound card is needed (no audio is played)."""

from __future__ import annotations

import argparse
import asyncio
import io
import os

import pytest

from desktop_agent.console.app import ConsoleApp
from desktop_agent.engine.memory_audio import MemoryAudioBackend
from desktop_agent.simulator import Simulator
from desktop_agent.simulator.voices import VOICES
from tests.console.test_console_e2e import until

SPANISH = {voice.voice_id for voice in VOICES if voice.language == "es"}


@pytest.mark.asyncio
async def test_l_to_a_language_the_voice_cannot_speak_brings_a_voice_that_can(isolated_user_dirs):
    async with Simulator(profile="instant") as sim:
        read_fd, write_fd = os.pipe()
        out = io.StringIO()
        args = argparse.Namespace(simulate=False, profile="instant", no_audio=False, log_level="INFO")
        app = ConsoleApp(args, stdin=os.fdopen(read_fd, "r"), stdout=out, simulator=sim,
                         audio_backend=MemoryAudioBackend(), record_history=False)
        run = asyncio.ensure_future(app.run())
        try:
            await until(lambda: "Push-to-talk: press Enter" in out.getvalue(), 30, "the session", out.getvalue)
            english = app.session.config.voice_id
            assert english and english not in SPANISH
            os.write(write_fd, b"l es\n")
            await until(lambda: "The voice is now" in out.getvalue(), 30, "the new voice", out.getvalue)
            assert "The conversation is in Spanish from the next turn." in out.getvalue()
            assert app.session.config.stt_language == "es" and app.session.config.voice_id in SPANISH
            name = app.session.config.voice_name
            assert f"The voice is now {name}, who speaks Spanish." in out.getvalue().splitlines()

            os.write(write_fd, b"l fr\n")  # neither Spanish voice speaks French
            await until(lambda: app.session.config.stt_language == "fr", 30, "French", out.getvalue)
            assert app.session.config.voice_id not in SPANISH | {english}
            assert app.session.config.prompt_name == "Voice assistant", "no version of its own: the prompt stays"

            os.write(write_fd, b"l hi\n")  # the shipped voice assistant follows: its version written in Hindi
            await until(lambda: app.session.config.stt_language == "hi", 30, "Hindi", out.getvalue)
            assert app.session.config.prompt_name == "Voice assistant (हिन्दी)"
            assert "The prompt is now Voice assistant (हिन्दी)." in out.getvalue().splitlines()
            os.write(write_fd, b"q\n")
            assert await asyncio.wait_for(run, 20) == 0
        finally:
            os.close(write_fd)
            if not run.done():
                run.cancel()
    assert "Traceback" not in out.getvalue()
