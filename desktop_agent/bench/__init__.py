"""Latency and resource benchmark: the app against a plain-Pipecat reference, on the simulator and an in-memory
audio device, in one run. ``python -m desktop_agent.bench --help``."""
