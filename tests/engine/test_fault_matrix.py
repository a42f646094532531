"""The fault matrix: every provider role x every kind of fault, through the real session on the simulator.

Each cell runs a fresh session: one exchange to prove it works, then the fault, one turn spoken while the fault is
on, the fault clears (time-limited faults clear themselves), and one more turn. It asserts what the user was told,
that the turn after the fault gets a spoken reply without any user action, that the connection healed within 5 s of
the provider being reachable again, and what the conversation (as history saves it) holds: no empty rows, every
finished turn kept, unspoken and cut-off replies marked.

The matrix is printed at the end of the run (cells tried / healed / turns lost).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from desktop_agent import providers
from desktop_agent.simulator import Fault, Simulator
from desktop_agent.simulator.responder import reasoning_text, tokens
from desktop_agent.state.conversation import Conversation, Role
from desktop_agent.state.events import (
    AssistantTurnEnded,
    ConnectionStatus,
    ErrorOccurred,
    Provider,
    ProviderStatusChanged,
)
from tests.engine.conftest import EngineHarness, config_for

SIM_NAME = {Provider.STT: "cartesia", Provider.LLM: "cerebras", Provider.TTS: "elevenlabs"}
LASTS = 3.0  # how long a time-limited fault stays on (the refused-reconnects cell uses the 20 s)
HEAL_WITHIN = 5.0  # seconds from the provider being reachable again to a working connection

# Deadlines shorter than the app's defaults, so a hung provider costs the test seconds, not tens of seconds.
FAST_DEADLINES = {"stt_final_timeout": 1.5, "llm_first_token_timeout": 2.0, "tts_first_audio_timeout": 2.0}


@dataclass(frozen=True)
class Cell:
    role: Provider
    fault: str
    lasts: float  # 0: a one-shot fault, gone after it struck once

    @property
    def id(self) -> str:
        return f"{self.role.value}-{self.fault}"


FAULTS = ("401", "429", "500", "drop", "refused-20s", "hang", "malformed")


def lasts(role: Provider, fault: str) -> float:
    if fault == "refused-20s":
        return 20.0
    if fault in ("drop", "malformed"):
        return 0.0
    if role is Provider.LLM and fault == "hang":
        return 3 * FAST_DEADLINES["llm_first_token_timeout"]  # the request and its one retry both hang
    return LASTS


CELLS = [Cell(role, fault, lasts(role, fault)) for role in Provider for fault in FAULTS]


def llm_events_before_cut() -> int:
    """Stream events before the language model's stream is cut: its reasoning (gpt-oss streams that first, and a cut
    there costs the user nothing: the request is simply made again) plus a few words of the answer."""
    user = {"role": "user", "content": "I spoke for 0.8 seconds."}
    return len(tokens(reasoning_text({"messages": [user]}, "low"))) + 8


@dataclass
class Outcome:
    healed: bool = False
    lost: int = 0
    heal_secs: float | None = None
    told: list[str] = field(default_factory=list)


RESULTS: dict[str, Outcome] = {}


def arm(sim: Simulator, cell: Cell) -> None:
    """Switch the cell's fault on. A websocket provider also loses its live connection (the app holds one socket),
    so what the fault does to new connections is what the app meets when it reconnects."""
    name = SIM_NAME[cell.role]
    websocket = cell.role is not Provider.LLM
    fault = {
        "401": Fault.http(401),
        "429": Fault.http(429, retry_after=1.0),
        "500": Fault.http(500),
        "refused-20s": Fault.http(503),
        "hang": Fault.hang(),
        "drop": Fault.disconnect_after(2 if websocket else llm_events_before_cut(), times=1),
        "malformed": Fault.malformed(times=1),
    }[cell.fault]
    if cell.lasts:
        fault = fault.lasting(cell.lasts)
    sim.fault(name, fault)
    if websocket and cell.fault not in ("drop", "malformed"):
        sim.drop_connections(name)


def expected_reply(cell: Cell) -> bool:
    """Whether the turn spoken during the fault still gets its reply (possibly after the provider is back)."""
    if cell.role is Provider.STT:
        return cell.fault != "hang"  # the words are kept and transcribed once speech-to-text is back
    if cell.role is Provider.LLM:
        return cell.fault in ("429", "500", "malformed", "drop")  # retried within the turn; a cut reply is kept
    return True  # text-to-speech: the reply is shown (and saved) even when it cannot be spoken


@pytest.fixture(scope="module", autouse=True)
def print_matrix(request):
    yield
    if not RESULTS:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    lines = ["", "Fault matrix (provider x fault: healed / turns lost / seconds to heal after the fault cleared)"]
    lines.append("         " + "".join(f"{f:>14}" for f in FAULTS))
    for role in Provider:
        row = f"{role.value:>8} "
        for fault in FAULTS:
            outcome = RESULTS.get(f"{role.value}-{fault}")
            if outcome is None:
                row += f"{'-':>14}"
                continue
            heal = f"{outcome.heal_secs:.1f}s" if outcome.heal_secs is not None else "-"
            row += f"{('ok' if outcome.healed else 'FAIL') + f'/{outcome.lost}/' + heal:>14}"
        lines.append(row)
    tried = len(RESULTS)
    healed = sum(o.healed for o in RESULTS.values())
    lost = sum(o.lost for o in RESULTS.values())
    lines.append(f"cells tried {tried}, healed {healed}, finished turns lost {lost}")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():  # module teardown runs under capture; the matrix is for the log
        for line in lines:
            if reporter is not None:
                reporter.write_line(line)
            else:
                print(line)


def fold(events) -> Conversation:
    conversation = Conversation()
    for event in events:
        conversation.apply(event)
    return conversation


def connected_since(h: EngineHarness, provider: Provider, since: int) -> bool:
    statuses = [e for e in h.of(ProviderStatusChanged, since) if e.provider is provider]
    return bool(statuses) and statuses[-1].status is ConnectionStatus.CONNECTED


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(180)
@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
async def test_fault_cell(cell: Cell, speech, assert_no_key_leak):
    outcome = Outcome()
    RESULTS[cell.id] = outcome
    async with Simulator(profile="instant") as sim:
        h = EngineHarness(config_for(sim, **FAST_DEADLINES))
        await h.start()
        try:
            # No scripts: the emulators transcribe "I spoke for N.N seconds." and the language model quotes the
            # user's words back, so a retried or replayed turn cannot shift which reply belongs to which turn. The
            # three sentences differ in length by far more than the recogniser's rounding (on one machine's espeak-ng
            # two short ones both came out as 0.7 s of voice, and the first turn's reply passed for the second's);
            # the one spoken during the fault stays short, so it is over well before a 3 s fault is.
            first = await h.exchange(speech("Good morning, how are you doing today, my friend?"))
            assert first.text.startswith("You said: I spoke for")

            # -- the fault, and a turn spoken while it is on
            armed = time.monotonic()
            during = h.mark()
            arm(sim, cell)
            if cell.role is not Provider.LLM and cell.fault not in ("drop", "malformed"):
                # The user is told the connection dropped before they even speak.
                await h.until(lambda: not connected_since(h, cell.role, during), 10, "the link to go down")
            await h.push_to_talk(speech("What time is it?"))
            reply = await _reply_or_retry_offer(h, during, timeout=cell.lasts + 25, reply_only=expected_reply(cell))
            told = [e.message for e in h.of(ErrorOccurred, during)]
            outcome.told = told

            # -- what the user was told
            if cell.role is not Provider.LLM and cell.fault not in ("drop", "malformed"):
                assert f"The connection to {providers.default_for(cell.role).display_name} dropped. Reconnecting…" in told
                down = [e for e in h.of(ProviderStatusChanged, during)
                        if e.provider is cell.role and e.status is not ConnectionStatus.CONNECTED]
                assert down and all(e.down_since is not None and e.retry_at is not None for e in down), (
                    "while it is down, the status says since when and when the next attempt is")
            if expected_reply(cell):
                assert isinstance(reply, AssistantTurnEnded), f"the turn got no reply; told: {told}"
                if cell.role is Provider.LLM and cell.fault == "drop":
                    assert "Cerebras stopped in the middle of the reply, so it is incomplete. " \
                           "Press Retry to ask again." in told
                assert reply.text.strip(), "never an empty reply row"
            else:
                assert isinstance(reply, ErrorOccurred) and reply.retry, f"no sentence with a retry; told: {told}"

            # -- the fault clears (or has struck once); the next turn works without any user action
            if cell.lasts:
                await h.until(lambda: time.monotonic() - armed > cell.lasts, cell.lasts + 5, "the fault to end")
            else:
                sim.clear_faults()
            cleared = time.monotonic()
            if cell.role is not Provider.LLM:
                await h.until(lambda: h.session.ready, HEAL_WITHIN + 10, f"the {cell.role} link to heal")
                outcome.heal_secs = round(time.monotonic() - cleared, 2)
                assert outcome.heal_secs <= HEAL_WITHIN + 1.0, f"healed {outcome.heal_secs} s after the fault cleared"
            await h.until(lambda: not _turn_in_flight(h), 30, "the turn in flight to settle")
            after = h.mark()
            ended = await h.exchange(speech("Are you back? I hope you are."), timeout=40)
            assert ended.spoken and not ended.interrupted
            outcome.healed = True

            # -- what history holds
            conversation = fold(h.events)
            finished = [t for t in conversation.turns if t.finished]
            assistant = [t for t in finished if t.role is Role.ASSISTANT]
            assert all(t.text.strip() for t in finished), "no empty rows"
            users = [t.text for t in finished if t.role is Role.USER]
            assert len(users) >= 2 and users[0] != users[-1]
            assert users[0].rstrip(".") in assistant[0].text, "the first reply answers the first turn"
            assert users[-1].rstrip(".") in assistant[-1].text == ended.text, "the last reply answers the last turn"
            if isinstance(reply, AssistantTurnEnded):
                middle = [t for t in assistant[1:-1] if t.text == reply.text]
                assert middle, "the reply given during the fault is kept"
                if cell.role is Provider.LLM and cell.fault == "drop":
                    assert not middle[0].complete, "a reply cut off mid-stream is marked incomplete"
                if not reply.spoken:
                    assert not middle[0].spoken and middle[0].text == reply.text
            outcome.lost = 0 if len(assistant) >= 2 else 1
            # A connection left stalled by the fault may still be replaced on that turn (and the user told so), but
            # nothing asks the user to act any more.
            asks = [e for e in h.of(ErrorOccurred, after) if e.retry or not e.recoverable]
            assert not asks, f"nothing for the user to do after the fault cleared: {asks}"
            assert_no_key_leak(h.events)
        finally:
            await h.stop()


async def _reply_or_retry_offer(h: EngineHarness, since: int, timeout: float, reply_only: bool):
    """The reply to the turn spoken during the fault, or (unless ``reply_only``) the sentence offering to retry it."""

    def found():
        for event in h.events[since:]:
            if isinstance(event, AssistantTurnEnded) and event.text.strip():
                return event
            if not reply_only and isinstance(event, ErrorOccurred) and (event.retry or not event.recoverable):
                return event
        return None

    return await h.until(found, timeout, "a reply or a sentence offering to retry")


def _turn_in_flight(h: EngineHarness) -> bool:
    from desktop_agent.state.events import AgentState

    return h.session.state not in (AgentState.LISTENING,)


def test_cells_cover_every_role_and_fault():
    assert {(c.role, c.fault) for c in CELLS} == {(r, f) for r in Provider for f in FAULTS}
    assert len(CELLS) == 21
