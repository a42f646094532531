"""Sarvam streaming STT made to fit the app: pointed at any address, healable, and its errors heard.

Pipecat's ``SarvamSTTService`` drives the ``sarvamai`` SDK, which falls short for a desktop app in three ways
(provider-protocols-2.md §5):

* it has no base-URL option: it builds the SDK client with the production environment, whose address is bound at
  import. Here the client is built again with an environment of the configured address (never by changing the SDK's
  shared ``PRODUCTION``, which would move every other client in the process too);
* it never reconnects: after a close each audio chunk only yields an error. Here the connection is shown where the
  session's healer (:mod:`desktop_agent.engine.healing`) looks for a client library's connection: the SDK's socket
  client as ``_connection``, its listening task as ``_connection_task``; ``on_connected``/``on_disconnected`` are
  raised so the healer hears at once, and audio sent while the connection is down is dropped quietly (the healer's
  restart is the one reconnect policy, one attempt per ``_connect()``, as Pipecat's own code makes);
* it ignores Sarvam's in-band ``error`` messages: here each becomes an ``ErrorFrame`` with Sarvam's words.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from pipecat.frames.frames import Frame
from pipecat.services.sarvam.stt import SarvamSTTService
from sarvamai import AsyncSarvamAI
from sarvamai.environment import SarvamAIEnvironment


def point_at(service: SarvamSTTService, base_url: str) -> None:
    """Give Pipecat's Sarvam service an SDK client for ``base_url`` (its own is bound to Sarvam's address).

    Also used by the benchmark's plain-Pipecat reference, which needs the same address and nothing else of the app's.
    """
    websocket = base_url.rstrip("/")
    rest = websocket.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
    service._sarvam_client = AsyncSarvamAI(
        api_subscription_key=service._api_key,
        headers=service._sdk_headers,
        environment=SarvamAIEnvironment(base=rest, production=websocket),
    )


class HealableSarvamSTTService(SarvamSTTService):
    def __init__(self, *, base_url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if base_url:
            point_at(self, base_url)
        self._connection: Any = None
        self._connection_task: Any = None

    async def _connect(self) -> None:
        await super()._connect()
        self._connection = self._socket_client
        self._connection_task = self._receive_task
        if self._connection is not None:
            await self._call_event_handler("on_connected")

    async def _disconnect(self) -> None:
        was_connected = self._connection is not None
        self._connection = None
        self._connection_task = None
        await super()._disconnect()
        if was_connected:
            await self._call_event_handler("on_disconnected")

    async def _receive_task_handler(self) -> None:
        """Pipecat's, and then the healer is told the connection ended (it closed, or a message could not be read)."""
        try:
            await super()._receive_task_handler()
        finally:
            if self._connection is not None:
                await self._call_event_handler("on_disconnected")

    def _connection_lost(self) -> bool:
        task = self._connection_task
        return self._socket_client is None or task is None or task.done()

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        if self._connection_lost():
            yield None  # the healer is restoring the connection; this audio cannot be heard meanwhile
            return
        async for frame in super().run_stt(audio):
            yield frame

    async def _send_keepalive(self, silence: bytes) -> None:
        if not self._connection_lost():
            await super()._send_keepalive(silence)

    async def _handle_message(self, message: Any) -> None:
        if getattr(message, "type", None) == "error":
            data = message.data
            text = getattr(data, "error", None) or getattr(data, "message", None) or "unknown error"
            code = getattr(data, "code", None)
            await self.push_error(error_msg=f"Sarvam speech to text: {text}" + (f" ({code})" if code else ""))
            return
        await super()._handle_message(message)
