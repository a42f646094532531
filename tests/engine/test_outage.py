"""Everything gone at once heals like one connection: a laptop suspend/resume (every socket dead together) and a
two-minute network outage (every connection cut and every new one failing), through the real session on the
simulator, using the same "network outage" preset the window's Faults menu and the console's ``f`` offer.

During the outage the status says, for each provider, since when it is down and when the next attempt is; the
healer keeps trying (its waits capped at a few seconds) for as long as it lasts; a turn spoken during it is kept and
answered once speech-to-text is back; after it, the connections are back within 5 s and the next turn works with no
user action.
"""

from __future__ import annotations

import time

import pytest

from desktop_agent.simulator import Simulator
from desktop_agent.simulator.fault_presets import FaultControls, fault_presets
from desktop_agent.state.events import AssistantTurnEnded, ConnectionStatus, Provider, ProviderStatusChanged
from tests.engine.conftest import EngineHarness, config_for

HEAL_WITHIN = 5.0


def statuses(h: EngineHarness, provider: Provider, since: int) -> list[ProviderStatusChanged]:
    return [e for e in h.of(ProviderStatusChanged, since) if e.provider is provider]


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_suspend_and_resume_every_socket_dead_at_once(speech):
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim))
        await h.start()
        try:
            await h.exchange(speech("Good morning."))
            since = h.mark()
            sim.drop_connections()  # what a resumed laptop finds: every socket dead at once
            resumed = time.monotonic()
            links = (Provider.STT, Provider.TTS)

            def back() -> bool:  # each link was seen down (it may heal faster than any poll sees it) and is up again
                seen = [statuses(h, p, since) for p in links]
                return all(s and s[-1].status is ConnectionStatus.CONNECTED and
                           any(e.status is not ConnectionStatus.CONNECTED for e in s) for s in seen)

            await h.until(lambda: back() and h.session.ready, HEAL_WITHIN, "every connection to be back")
            healed = time.monotonic() - resumed
            ended = await h.exchange(speech("Are you still there?"))
            assert ended.spoken and ended.text
            print(f"\nsuspend/resume: every connection back {healed:.2f} s after the sockets died")
        finally:
            await h.stop()


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(300)
async def test_a_two_minute_network_outage_heals_and_keeps_the_words(speech):
    outage_secs = 120.0
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim))
        await h.start()
        try:
            await h.exchange(speech("Good morning."))
            since = h.mark()
            controls = FaultControls(sim, outage_seconds=outage_secs)
            [outage] = [p for p in fault_presets(outage_secs) if p.key == "all.outage"]
            controls.apply(outage)
            started = time.monotonic()
            await h.until(lambda: not h.session.ready, 10, "the outage to be noticed")

            # A turn spoken in the middle of it: the words wait for speech-to-text.
            await h.until(lambda: time.monotonic() - started > 30, 40, "thirty seconds into the outage")
            during = h.mark()
            await h.push_to_talk(speech("Remind me to call my sister."))
            assert not h.session.ready

            # All along, the status says since when and when the next attempt is, and the attempts go on.
            await h.until(lambda: time.monotonic() - started > outage_secs, outage_secs + 10, "the outage to end")
            down = [e for e in statuses(h, Provider.STT, since) if e.status is not ConnectionStatus.CONNECTED]
            assert all(e.down_since is not None and e.retry_at is not None for e in down)
            assert max(e.attempt for e in down) >= outage_secs / 5, "the healer kept trying the whole time"
            gaps = [b.retry_at - a.retry_at for a, b in zip(down, down[1:], strict=False) if b.attempt == a.attempt + 1]
            assert gaps and max(gaps) <= 4.5, f"waits between attempts stay short: {max(gaps):.1f} s"

            ended = time.monotonic()
            await h.until(lambda: h.session.ready, HEAL_WITHIN + 2, "every connection to be back")
            healed = time.monotonic() - ended
            assert healed <= HEAL_WITHIN
            answer = await h.wait(AssistantTurnEnded, during, timeout=30)
            assert answer.spoken and "You said" in answer.text, "the words said during the outage were answered"

            after = await h.exchange(speech("Thank you."))
            assert after.spoken
            print(f"\n2-minute outage: back {healed:.2f} s after it ended, {max(e.attempt for e in down)} attempts")
        finally:
            await h.stop()
