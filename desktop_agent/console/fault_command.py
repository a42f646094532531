"""The console's ``f`` command: list the simulator's fault presets, switch one on, or clear them all.

``controls`` is the simulator's :class:`~desktop_agent.simulator.fault_presets.FaultControls` (the console builds it
only with ``--simulate``); each call returns what to print.
"""

from __future__ import annotations

from typing import Any

from desktop_agent.console.commands import FaultRequest, fault_request


def run_fault_command(controls: Any, text: str) -> str:
    """Carry out ``f <text>`` on ``controls`` and say what happened (or what to type instead)."""
    request = fault_request(text, len(controls.presets))
    if not isinstance(request, FaultRequest):
        return request
    if request.number is None:
        lines = [
            f"{n:>3}  {preset.label}{'  (on)' if controls.is_on(preset) else ''}"
            for n, preset in enumerate(controls.presets, 1)
        ]
        return "\n".join(["Simulated faults:", *lines, "f N switches fault N on, f 0 clears them all."])
    if request.number == 0:
        controls.clear_all()
        return "All simulated faults are off."
    preset = controls.presets[request.number - 1]
    controls.apply(preset)
    return f"{preset.label}: {'on' if preset.lasting else 'done'}. {preset.description}"
