"""``Simulator``: the three provider emulators on loopback ports, with their scripts, faults, profile and records."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from desktop_agent.simulator.cartesia import CartesiaEmulator
from desktop_agent.simulator.cartesia_tts import CartesiaTTSEmulator
from desktop_agent.simulator.cerebras import CerebrasEmulator
from desktop_agent.simulator.common import Env
from desktop_agent.simulator.deepgram import DeepgramEmulator
from desktop_agent.simulator.elevenlabs import ElevenLabsEmulator
from desktop_agent.simulator.faults import PROVIDERS, Fault, FaultBook
from desktop_agent.simulator.groq_cloud import GroqEmulator
from desktop_agent.simulator.local_llm import LocalLLMEmulator
from desktop_agent.simulator.openai_platform import OpenAIEmulator
from desktop_agent.simulator.profiles import LatencyProfile, resolve_profile
from desktop_agent.simulator.records import Record, RecordLog
from desktop_agent.simulator.responder import ReplyScript, ScriptItem
from desktop_agent.simulator.sarvam_stt import SarvamSTTEmulator
from desktop_agent.simulator.sarvam_tts import SarvamTTSEmulator

_SHUTDOWN_TIMEOUT = 1.0
_FAULT_RECORD_KINDS = frozenset({"fault_armed", "fault_cleared", "faults_cleared", "fault", "connections_dropped"})


def _fault_fields(fault: Fault) -> dict:
    """A fault as a record: its kind and the fields that are set."""
    return {name: value for name, value in dataclasses.asdict(fault).items() if value is not None}


class ScriptControl:
    """``sim.stt`` / ``sim.llm``: what the emulator says next. ``script(items)`` replaces what is pending."""

    def __init__(self) -> None:
        self.queue = ReplyScript()

    def script(self, items: Iterable[ScriptItem]) -> None:
        self.queue.script(items)

    def add(self, *items: ScriptItem) -> None:
        self.queue.add(*items)

    def clear(self) -> None:
        self.queue.clear()

    @property
    def pending(self) -> list:
        return self.queue.pending


class Simulator:
    """Cartesia STT, Cerebras LLM and ElevenLabs TTS emulators on ``host``.

    ``ports`` maps provider names to ports; missing, 0 or None means an ephemeral port. Use ``await start()`` /
    ``await stop()`` or ``async with``. Everything that changes behaviour (``profile``, ``fault``, scripts,
    ``strict_elevenlabs``, ``drop_connections``) can change while clients are connected, from any thread: faults,
    scripts and records are guarded by locks, the profile is read afresh each time it is needed, and dropping
    connections is handed to the simulator's own loop.
    """

    def __init__(
        self,
        profile: str | LatencyProfile = "instant",
        host: str = "127.0.0.1",
        ports: dict[str, int | None] | None = None,
    ) -> None:
        unknown = set(ports or {}) - set(PROVIDERS)
        if unknown:
            raise ValueError(f"Unknown provider(s) in ports: {', '.join(sorted(unknown))}")
        self.host = host
        self._requested_ports = {name: (ports or {}).get(name) or 0 for name in PROVIDERS}
        self._profile = resolve_profile(profile)
        self._faults = FaultBook()
        self._records = RecordLog()
        self.stt = ScriptControl()
        self.llm = ScriptControl()
        self._env: Env | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runners: dict[str, web.AppRunner] = {}
        self._emulators: dict[str, Any] = {}
        self.ports: dict[str, int] = {}
        self._strict_elevenlabs = False

    # ---------------------------------------------------------------------------------------------- life cycle
    async def start(self) -> Simulator:
        if self._runners:
            return self
        self._loop = asyncio.get_running_loop()
        self._env = Env(lambda: self._profile, self._faults, self._records)
        self._env.strict_elevenlabs = self._strict_elevenlabs
        self._emulators = self._build_emulators(self._env)
        try:
            for name, emulator in self._emulators.items():
                app = web.Application(client_max_size=16 << 20)
                emulator.add_routes(app)
                runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=_SHUTDOWN_TIMEOUT)
                await runner.setup()
                self._runners[name] = runner
                site = web.TCPSite(runner, self.host, self._requested_ports[name], reuse_address=True)
                await site.start()
                self.ports[name] = runner.addresses[0][1]
        except OSError:
            await self.stop()
            raise
        for name, emulator in self._emulators.items():
            if hasattr(emulator, "base_url"):  # emulators whose answers name their own address (voice previews)
                emulator.base_url = self._url("http", name)
        return self

    def _build_emulators(self, env: Env) -> dict[str, Any]:
        """One emulator per name in :data:`PROVIDERS`, each on its own port. Every speech-to-text emulator reads
        :attr:`stt`'s script and every language model :attr:`llm`'s, so a test scripts a role, whichever provider
        plays it."""
        return {
            "cartesia": CartesiaEmulator(env, self.stt.queue),
            "cerebras": CerebrasEmulator(env, self.llm.queue),
            "elevenlabs": ElevenLabsEmulator(env),
            "cartesia_tts": CartesiaTTSEmulator(env),
            "deepgram": DeepgramEmulator(env, self.stt.queue),
            "openai": OpenAIEmulator(env, self.llm.queue),
            "groq": GroqEmulator(env, self.llm.queue),
            "local_llm": LocalLLMEmulator(env, self.llm.queue),
            "sarvam": SarvamSTTEmulator(env, self.stt.queue),
            "sarvam_tts": SarvamTTSEmulator(env),
        }

    async def stop(self) -> None:
        env, runners = self._env, self._runners
        self._runners = {}
        self._loop = None
        if env is not None:
            env.stopping.set()
            for ws in list(env.websockets):
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await asyncio.wait_for(ws.close(code=1001, message=b"Server shutting down"), 1.0)
        for runner in runners.values():
            await runner.cleanup()

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------------------------------------------- URLs
    def url(self, provider: str) -> str:
        """The base URL a client of ``provider`` is given (its emulator's host, port and API root)."""
        return {
            "cartesia": self.cartesia_url,
            "cerebras": self.cerebras_url,
            "elevenlabs": self.elevenlabs_url,
            "cartesia_tts": self.cartesia_tts_url,
            "deepgram": self.deepgram_url,
            "openai": self.openai_url,
            "groq": self.groq_url,
            "local_llm": self.local_llm_url,
            "sarvam": self.sarvam_url,
            "sarvam_tts": self.sarvam_tts_url,
        }[provider]

    def _url(self, scheme: str, provider: str, path: str = "") -> str:
        if provider not in self.ports:
            raise RuntimeError("The simulator is not running; call start() first.")
        return f"{scheme}://{self.host}:{self.ports[provider]}{path}"

    @property
    def cartesia_url(self) -> str:
        return self._url("ws", "cartesia")

    @property
    def cartesia_http_url(self) -> str:
        return self._url("http", "cartesia")

    @property
    def cerebras_url(self) -> str:
        return self._url("http", "cerebras", "/v1")

    @property
    def elevenlabs_url(self) -> str:
        return self._url("ws", "elevenlabs")

    @property
    def elevenlabs_http_url(self) -> str:
        return self._url("http", "elevenlabs")

    @property
    def cartesia_tts_url(self) -> str:
        """Cartesia's text-to-speech host (``ws://``): Pipecat's ``url`` is this plus ``/tts/websocket``; the SDK takes
        it as ``websocket_base_url``."""
        return self._url("ws", "cartesia_tts")

    @property
    def cartesia_tts_http_url(self) -> str:
        """The same host over HTTP: the SDK's ``base_url``, and ``/voices`` as Cartesia serves it there."""
        return self._url("http", "cartesia_tts")

    @property
    def deepgram_url(self) -> str:
        """Deepgram's websocket base (Pipecat's ``base_url``; the SDK appends ``/v1/listen``)."""
        return self._url("ws", "deepgram")

    @property
    def openai_url(self) -> str:
        """OpenAI's API root (``…/v1``): the ``base_url`` of AsyncOpenAI and Pipecat's OpenAILLMService."""
        return self._url("http", "openai", "/v1")

    @property
    def groq_url(self) -> str:
        """Groq's OpenAI-compatible root (``…/openai/v1``): the ``base_url`` of Pipecat's GroqLLMService."""
        return self._url("http", "groq", "/openai/v1")

    @property
    def groq_http_url(self) -> str:
        """Groq's server root: the groq SDK's ``base_url`` (it adds ``/openai/v1`` itself)."""
        return self._url("http", "groq")

    @property
    def local_llm_url(self) -> str:
        """The local OpenAI-compatible server's root (``…/v1``, as Ollama's); any key or none is accepted."""
        return self._url("http", "local_llm", "/v1")

    @property
    def sarvam_url(self) -> str:
        """Sarvam's speech-to-text websocket host: the SDK environment's ``production`` (it appends
        ``/speech-to-text/ws``)."""
        return self._url("ws", "sarvam")

    @property
    def sarvam_tts_url(self) -> str:
        """Sarvam's text-to-speech websocket host: Pipecat's ``url`` is this plus ``/text-to-speech/ws``; the SDK
        environment's ``production``."""
        return self._url("ws", "sarvam_tts")

    # ------------------------------------------------------------------------------------------------ behaviour
    @property
    def profile(self) -> LatencyProfile:
        """This simulator's own profile (a copy): set its knobs directly, or assign a new profile or name."""
        return self._profile

    @profile.setter
    def profile(self, value: str | LatencyProfile) -> None:
        self._profile = resolve_profile(value)

    @property
    def strict_elevenlabs(self) -> bool:
        return self._strict_elevenlabs

    @strict_elevenlabs.setter
    def strict_elevenlabs(self, value: bool) -> None:
        self._strict_elevenlabs = bool(value)
        if self._env is not None:
            self._env.strict_elevenlabs = self._strict_elevenlabs

    def fault(self, provider: str, fault: Fault) -> None:
        """Arm ``fault`` for ``provider``'s next requests or connections (a ``fault_armed`` record says which)."""
        self._faults.arm(provider, fault)
        self._records.add(provider, "fault_armed", _fault_fields(fault))

    def clear_fault(self, provider: str, fault: Fault) -> None:
        """Disarm one fault (every armed copy of it); a ``fault_cleared`` record says which, if it was armed."""
        if self._faults.disarm(provider, fault):
            self._records.add(provider, "fault_cleared", _fault_fields(fault))

    def clear_faults(self, provider: str | None = None) -> None:
        self._faults.clear(provider)
        for name in PROVIDERS if provider is None else (provider,):
            self._records.add(name, "faults_cleared", {})

    def faults(self, provider: str) -> list[Fault]:
        return self._faults.armed(provider)

    def drop_connections(self, provider: str | None = None) -> None:
        """Cut every open connection of ``provider`` (None: all three) at once, with no close frame and no end of
        body: what a network failure looks like to a client. Live websockets and replies being streamed end mid-way;
        the servers keep listening, so clients can connect again.

        Callable from any thread; from another thread the connections are cut on the simulator's loop a moment
        later. A ``connections_dropped`` record per provider gives the count.
        """
        names = PROVIDERS if provider is None else (provider,)
        if any(name not in PROVIDERS for name in names):
            raise ValueError(f"Unknown provider {provider!r}; choose one of {', '.join(PROVIDERS)}.")
        loop = self._loop
        if loop is None:
            return  # not running: nothing is connected
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._drop_now(names)
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the simulator stopped, nothing to cut
            loop.call_soon_threadsafe(self._drop_now, names)

    def _drop_now(self, names: Iterable[str]) -> None:
        for name in names:
            runner = self._runners.get(name)
            server = runner.server if runner is not None else None
            dropped = 0
            for handler in server.connections if server is not None else ():
                transport = handler.transport
                if transport is not None and not transport.is_closing():
                    transport.abort()
                    dropped += 1
            self._records.add(name, "connections_dropped", {"count": dropped})

    # -------------------------------------------------------------------------------------------------- records
    @property
    def records(self) -> list[Record]:
        return self._records.snapshot()

    def select(self, provider: str | None = None, kind: str | None = None) -> list[Record]:
        return self._records.select(provider, kind)

    def clear_records(self) -> None:
        self._records.clear()

    def llm_requests(self) -> list[dict]:
        """The chat requests every language-model emulator received, in arrival order."""
        return [r.data for r in self._records.select(kind="llm_request")]

    def llm_replies(self) -> list[dict]:
        """The replies every language-model emulator finished sending, in order."""
        return [r.data for r in self._records.select(kind="llm_reply")]

    def stt_connections(self) -> list[dict]:
        return [r.data for r in self._records.select("cartesia", "stt_connect")]

    def stt_messages(self) -> list[str]:
        return [r.data for r in self._records.select("cartesia", "stt_message")]

    def stt_replies(self) -> list[dict]:
        return [r.data for r in self._records.select("cartesia", "stt_reply")]

    def tts_connections(self) -> list[dict]:
        return [r.data for r in self._records.select("elevenlabs", "tts_connect")]

    def tts_messages(self) -> list[Any]:
        return [r.data for r in self._records.select("elevenlabs", "tts_message")]

    def tts_replies(self) -> list[dict]:
        return [r.data for r in self._records.select("elevenlabs", "tts_reply")]

    def applied_faults(self, provider: str | None = None) -> list[Record]:
        """What was done to the providers: faults armed, cleared and acting on requests, and connections dropped."""
        return [r for r in self._records.select(provider) if r.kind in _FAULT_RECORD_KINDS]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
        """Poll ``predicate()`` until it returns something truthy (returned); TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            await asyncio.sleep(interval)
