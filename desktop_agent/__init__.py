"""desktop_agent: a desktop voice assistant (push-to-talk or hands-free) built on Pipecat and Qt."""

__version__ = "0.1.0"
