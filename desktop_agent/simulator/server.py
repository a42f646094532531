"""``Simulator``: the three provider emulators on loopback ports, with their scripts, faults, profile and records."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from desktop_agent.simulator.cartesia import CartesiaEmulator
from desktop_agent.simulator.cerebras import CerebrasEmulator
from desktop_agent.simulator.common import Env
from desktop_agent.simulator.elevenlabs import ElevenLabsEmulator
from desktop_agent.simulator.faults import PROVIDERS, Fault, FaultBook
from desktop_agent.simulator.profiles import LatencyProfile, resolve_profile
from desktop_agent.simulator.records import Record, RecordLog
from desktop_agent.simulator.responder import ReplyScript

_SHUTDOWN_TIMEOUT = 1.0


class ScriptControl:
    """``sim.stt`` / ``sim.llm``: what the emulator says next. ``script(items)`` replaces what is pending."""

    def __init__(self) -> None:
        self.queue = ReplyScript()

    def script(self, items: Iterable) -> None:
        self.queue.script(items)

    def add(self, *items) -> None:
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
    ``strict_elevenlabs``) can change while clients are connected, from any thread.
    """

    def __init__(self, profile: str | LatencyProfile = "instant", host: str = "127.0.0.1",
                 ports: dict[str, int | None] | None = None) -> None:
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
        self._runners: dict[str, web.AppRunner] = {}
        self.ports: dict[str, int] = {}
        self._strict_elevenlabs = False

    # ---------------------------------------------------------------------------------------------- life cycle
    async def start(self) -> Simulator:
        if self._runners:
            return self
        self._env = Env(lambda: self._profile, self._faults, self._records)
        self._env.strict_elevenlabs = self._strict_elevenlabs
        self._cartesia = CartesiaEmulator(self._env, self.stt.queue)
        self._cerebras = CerebrasEmulator(self._env, self.llm.queue)
        self._elevenlabs = ElevenLabsEmulator(self._env)
        try:
            for name, emulator in (("cartesia", self._cartesia), ("cerebras", self._cerebras),
                                   ("elevenlabs", self._elevenlabs)):
                app = web.Application(client_max_size=16 << 20)
                emulator.add_routes(app)
                runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                       shutdown_timeout=_SHUTDOWN_TIMEOUT)
                await runner.setup()
                self._runners[name] = runner
                site = web.TCPSite(runner, self.host, self._requested_ports[name], reuse_address=True)
                await site.start()
                self.ports[name] = runner.addresses[0][1]
        except OSError:
            await self.stop()
            raise
        self._cartesia.base_url = self.cartesia_http_url
        self._elevenlabs.base_url = self.elevenlabs_http_url
        return self

    async def stop(self) -> None:
        env, runners = self._env, self._runners
        self._runners = {}
        if env is not None:
            env.stopping.set()
            for ws in list(env.websockets):
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await asyncio.wait_for(ws.close(code=1001, message=b"Server shutting down"), 1.0)
        for runner in runners.values():
            await runner.cleanup()

    async def __aenter__(self) -> Simulator:
        return await self.start()

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    # ----------------------------------------------------------------------------------------------------- URLs
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
        self._faults.arm(provider, fault)

    def clear_faults(self, provider: str | None = None) -> None:
        self._faults.clear(provider)

    def faults(self, provider: str) -> list[Fault]:
        return self._faults.armed(provider)

    # -------------------------------------------------------------------------------------------------- records
    @property
    def records(self) -> list[Record]:
        return self._records.snapshot()

    def select(self, provider: str | None = None, kind: str | None = None) -> list[Record]:
        return self._records.select(provider, kind)

    def clear_records(self) -> None:
        self._records.clear()

    def llm_requests(self) -> list[dict]:
        return [r.data for r in self._records.select("cerebras", "llm_request")]

    def llm_replies(self) -> list[dict]:
        return [r.data for r in self._records.select("cerebras", "llm_reply")]

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
