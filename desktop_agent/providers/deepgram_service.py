"""Deepgram STT with one connection attempt per connect, so the session's connection healer is the one reconnect
policy (what ``reconnect_on_error=False`` does for Pipecat's websocket services).

Pipecat's ``DeepgramSTTService`` is not a websocket service: Deepgram's SDK holds the socket, and the service runs it
in a connection task with its own retry loop. That loop waits at least 4 s between attempts (a dropped connection
stays down that long, whatever the healer does) and gives up for good after three quick failures (a refusal lasting
a few seconds would leave the session without speech-to-text). Here the task makes one attempt and ends when the
connection does; the healer sees the connection gone and makes the next attempt on its own schedule.

Also, as the other speech-to-text services of the app do:

* ``on_connected``/``on_disconnected`` are raised (Pipecat's websocket services raise them), so the session's healer
  hears of a change at once instead of at its next poll;
* Deepgram's empty answer to ``Finalize`` (nothing was said, or the words were already finalized at an endpoint) is
  passed on as a :class:`~desktop_agent.engine.frames.FinalizeAnsweredFrame`: the connection is alive, and a turn
  with no words in it is not taken for a stalled one.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from deepgram.core import ApiError
from deepgram.core.events import EventType
from deepgram.listen.v1.types import ListenV1CloseStream, ListenV1Results
from pipecat.services.deepgram.stt import DeepgramSTTService

from desktop_agent.engine.frames import FinalizeAnsweredFrame

#: How long a goodbye (``CloseStream``) may take on a connection being replaced; a hung one is simply dropped.
CLOSE_STREAM_SECS = 1.0


class SingleAttemptDeepgramSTTService(DeepgramSTTService):
    async def _connection_handler(self) -> None:
        """One connection, from handshake to close; failures are reported, never retried here."""
        keepalive = None
        connected = False
        try:
            async with self._client.listen.v1.connect(**self._build_connect_kwargs()) as connection:
                self._connection = connection
                connected = True
                self._connection_settled.set()
                connection.on(EventType.MESSAGE, self._on_message)
                connection.on(EventType.ERROR, self._on_error)
                keepalive = self.create_task(self._keepalive_handler(), f"{self}::keepalive")
                await self._call_event_handler("on_connected")
                await connection.start_listening()
        except asyncio.CancelledError:
            raise
        except ApiError as exc:  # refused at the handshake: the status says why (401 key, 429, 5xx ...)
            await self.push_error(
                error_msg=f"Deepgram refused the connection (status {exc.status_code})", exception=exc
            )
        except Exception as exc:  # noqa: BLE001 - unreachable, reset: the healer tries again
            await self.push_error(error_msg=f"connection error: {exc}", exception=exc)
        finally:
            self._connection = None
            if keepalive is not None:
                await self.cancel_task(keepalive)
            self._connection_settled.set()
            if connected:
                await self._call_event_handler("on_disconnected")

    async def _disconnect(self) -> None:
        """Pipecat's, except that a socket that cannot take the goodbye (dead or hung) is left behind all the same:
        the connection task is always cancelled, so a restart never leaves two of them running."""
        task, connection = self._connection_task, self._connection
        self._connection = None
        self._connection_task = None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    connection.send_close_stream(ListenV1CloseStream(type="CloseStream")), CLOSE_STREAM_SECS
                )
        if task is not None:
            await self.cancel_task(task)

    async def _on_message(self, message: Any) -> None:
        await super()._on_message(message)
        if (
            isinstance(message, ListenV1Results)
            and message.is_final
            and getattr(message, "from_finalize", False)
            and message.channel
            and message.channel.alternatives
            and not message.channel.alternatives[0].transcript
        ):
            await self.push_frame(FinalizeAnsweredFrame())
