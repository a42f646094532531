"""The private X server and its driver for every global shortcut test here (tests/x_display.py)."""

from tests.x_display import x_driver, x_server  # noqa: F401 - fixtures
