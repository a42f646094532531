"""The desktop window: widgets fed by :mod:`desktop_agent.state`, and the bridge that carries engine events in.

Everything here runs on the Qt thread. The engine runs on its own thread and loop; its events cross through
:class:`desktop_agent.ui.bridge.EngineBridge` as queued Qt signals (architecture.md).
"""
