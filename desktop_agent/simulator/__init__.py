"""Loopback emulators of the Cartesia STT, Cerebras LLM and ElevenLabs TTS wire protocols.

They let Pipecat's unmodified services, the official SDKs and the whole app run end to end on 127.0.0.1 with
controllable latency, scripted content and injected faults (spec: shared/docs/provider-protocols.md).

    async with Simulator(profile="prd") as sim:
        stt = CartesiaSTTService(api_key=SIMULATOR_API_KEYS["cartesia"], base_url=sim.cartesia_url, ...)
        sim.llm.script(["Sure. It is sunny.", ToolCall("end_conversation", {})])
        sim.fault("elevenlabs", Fault.ws_close(1008, "..."))

``python -m desktop_agent.simulator`` runs them standalone.
"""

from desktop_agent.simulator.faults import PROVIDERS, Fault
from desktop_agent.simulator.keys import SIMULATOR_API_KEYS
from desktop_agent.simulator.profiles import PROFILES, LatencyProfile
from desktop_agent.simulator.records import Record
from desktop_agent.simulator.responder import ToolCall
from desktop_agent.simulator.server import ScriptControl, Simulator
from desktop_agent.simulator.thread import SimulatorThread, start_simulator_thread
from desktop_agent.simulator.voices import VOICES, EmuVoice

__all__ = [
    "PROFILES",
    "PROVIDERS",
    "SIMULATOR_API_KEYS",
    "VOICES",
    "EmuVoice",
    "Fault",
    "LatencyProfile",
    "Record",
    "ScriptControl",
    "Simulator",
    "SimulatorThread",
    "ToolCall",
    "start_simulator_thread",
]
