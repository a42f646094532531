"""XKB's detectable auto-repeat for one X connection, with python-xlib (which has no XKB module).

Without it, an X server reports a held key as KeyRelease/KeyPress pairs; with it, as repeated KeyPress events and one
KeyRelease at the end, which a held flag folds into one hold. Two requests of the XKB protocol: ``UseExtension``
(minor opcode 0; required before any other) and ``PerClientFlags`` (minor opcode 21) setting
``XkbPCF_DetectableAutoRepeatMask``.
"""

from __future__ import annotations

from typing import Any

from Xlib.display import Display
from Xlib.protocol import rq

_USE_CORE_KEYBOARD = 0x100
_DETECTABLE_AUTO_REPEAT = 1 << 0


class _UseExtension(rq.ReplyRequest):
    _request = rq.Struct(
        rq.Card8("opcode"), rq.Opcode(0), rq.RequestLength(), rq.Card16("wanted_major"), rq.Card16("wanted_minor")
    )
    _reply = rq.Struct(
        rq.ReplyCode(),
        rq.Bool("supported"),
        rq.Card16("sequence_number"),
        rq.ReplyLength(),
        rq.Card16("server_major"),
        rq.Card16("server_minor"),
        rq.Pad(20),
    )


class _PerClientFlags(rq.ReplyRequest):
    _request = rq.Struct(
        rq.Card8("opcode"),
        rq.Opcode(21),
        rq.RequestLength(),
        rq.Card16("device_spec"),
        rq.Pad(2),
        rq.Card32("change"),
        rq.Card32("value"),
        rq.Card32("ctrls_to_change"),
        rq.Card32("auto_ctrls"),
        rq.Card32("auto_ctrl_values"),
    )
    _reply = rq.Struct(
        rq.ReplyCode(),
        rq.Card8("device_id"),
        rq.Card16("sequence_number"),
        rq.ReplyLength(),
        rq.Card32("supported"),
        rq.Card32("value"),
        rq.Card32("auto_ctrls"),
        rq.Card32("auto_ctrl_values"),
        rq.Pad(8),
    )


def set_detectable_auto_repeat(display: Display) -> bool:
    """Ask the server for detectable auto-repeat on this connection; True when it is on."""
    extension: Any = display.query_extension("XKEYBOARD")
    if extension is None or not extension.present:
        return False
    opcode = extension.major_opcode
    use: Any = _UseExtension(display=display.display, opcode=opcode, wanted_major=1, wanted_minor=0)
    if not use.supported:
        return False
    flags: Any = _PerClientFlags(
        display=display.display,
        opcode=opcode,
        device_spec=_USE_CORE_KEYBOARD,
        change=_DETECTABLE_AUTO_REPEAT,
        value=_DETECTABLE_AUTO_REPEAT,
        ctrls_to_change=0,
        auto_ctrls=0,
        auto_ctrl_values=0,
    )
    return bool(flags.value & _DETECTABLE_AUTO_REPEAT)
