"""Configuration: settings (a JSON file in the platform's config directory, overridable by environment variables and
``.env`` files), API keys (the OS keyring, never the settings file), logging with key redaction, system-prompt
presets, key tests, the voice catalogue, and the bridge that turns all of it into an engine config.

Imports neither Qt nor Pipecat.
"""
