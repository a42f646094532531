"""``python -m desktop_agent.simulator [--profile prd] [--port N] [--host H]``: run all the emulators until Ctrl-C.

Prints one line per provider with the base URL to give the app and the API key the emulator accepts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from desktop_agent.simulator.faults import PROVIDERS
from desktop_agent.simulator.keys import SIMULATOR_API_KEYS
from desktop_agent.simulator.profiles import PROFILES
from desktop_agent.simulator.server import Simulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m desktop_agent.simulator",
        description="Loopback emulators of the speech and language-model providers.",
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="prd", help="latency profile (default prd)")
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="first port: the emulators on N, N+1, ... in the order listed (Cartesia on N, Cerebras "
        "on N+1, ElevenLabs on N+2, Cartesia TTS on N+3, Deepgram on N+4, OpenAI on N+5, Groq "
        "on N+6, local LLM on N+7; default: free ports)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    ports = None
    if args.port:
        ports = {name: args.port + offset for offset, name in enumerate(PROVIDERS)}
    sim = Simulator(profile=args.profile, host=args.host, ports=ports)
    await sim.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        print(
            f"cartesia    {sim.cartesia_url}  key={SIMULATOR_API_KEYS['cartesia']}  "
            f"(voices: {sim.cartesia_http_url}/voices)",
            flush=True,
        )
        print(f"cerebras    {sim.cerebras_url}  key={SIMULATOR_API_KEYS['cerebras']}", flush=True)
        print(
            f"elevenlabs  {sim.elevenlabs_url}  key={SIMULATOR_API_KEYS['elevenlabs']}  "
            f"(REST: {sim.elevenlabs_http_url})",
            flush=True,
        )
        print(
            f"cartesia_tts  {sim.cartesia_tts_url}  key={SIMULATOR_API_KEYS['cartesia_tts']}  "
            f"(Pipecat url: {sim.cartesia_tts_url}/tts/websocket; SDK base_url: {sim.cartesia_tts_http_url})",
            flush=True,
        )
        print(f"deepgram    {sim.deepgram_url}  key={SIMULATOR_API_KEYS['deepgram']}  (STT: /v1/listen)", flush=True)
        print(f"openai      {sim.openai_url}  key={SIMULATOR_API_KEYS['openai']}", flush=True)
        print(
            f"groq        {sim.groq_url}  key={SIMULATOR_API_KEYS['groq']}  (groq SDK base_url: {sim.groq_http_url})",
            flush=True,
        )
        print(
            f"local_llm   {sim.local_llm_url}  key=(any or none)  (Ollama style; /api/tags on the same port)",
            flush=True,
        )
        print(
            f"sarvam      {sim.sarvam_url}  key={SIMULATOR_API_KEYS['sarvam']}  (STT: /speech-to-text/ws; the SDK "
            "environment's production)",
            flush=True,
        )
        print(
            f"sarvam_tts  {sim.sarvam_tts_url}  key={SIMULATOR_API_KEYS['sarvam_tts']}  "
            f"(Pipecat url: {sim.sarvam_tts_url}/text-to-speech/ws)",
            flush=True,
        )
        print(f"Profile {args.profile}. Press Ctrl-C to stop.", flush=True)
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C before the signal handlers are installed
            asyncio.run(serve(args))
    except OSError as exc:
        print(f"Could not start the simulator: {exc.strerror or exc}. Choose another --port.", file=sys.stderr)
        return 1
    print("Simulator stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
