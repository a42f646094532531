"""Settings > Audio: microphone and speaker with live tests, turn-taking (push-to-talk key, hands-free sensitivity)
and echo cancellation.

Devices are stored by name (indexes change when devices come and go); a saved device that is not connected stays
listed as "(not connected)" so a missing USB headset does not silently switch the setting to another device.
"""

from __future__ import annotations

import asyncio

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.config.pcm_player import PcmPlayer
from desktop_agent.config.settings import AppSettings
from desktop_agent.engine.audio_backend import AudioBackend, DeviceInfo
from desktop_agent.state.events import TurnMode
from desktop_agent.ui.level_meter import LevelMeter
from desktop_agent.ui.settings.async_runner import AsyncRunner
from desktop_agent.ui.settings.input_level_probe import InputLevelProbe
from desktop_agent.ui.untrusted_text import plain_label

TEST_TONE_RATE = 24000
MODES = (
    (TurnMode.PUSH_TO_TALK, "Push-to-talk: hold a key while you speak"),
    (TurnMode.HANDS_FREE, "Hands-free: the assistant listens for speech"),
)


def tone_pcm(seconds: float = 0.8, frequency: float = 523.25) -> bytes:
    """A soft sine with faded edges, for the speaker test."""
    t = np.arange(int(TEST_TONE_RATE * seconds)) / TEST_TONE_RATE
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.05)
    return (0.3 * 32767 * fade * np.sin(2 * np.pi * frequency * t)).astype(np.int16).tobytes()


class AudioPage(QWidget):
    """Signals for the session: ``devices_changed(input, output)`` (names or None = system default),
    ``echo_changed(echo_cancellation, noise_suppression)``, ``mode_changed(TurnMode)``,
    ``vad_changed(confidence, stop_secs)``, ``push_to_talk_key_changed(key text)``, and ``restart_needed(reason)``."""

    devices_changed = Signal(object, object)
    echo_changed = Signal(bool, bool)
    mode_changed = Signal(object)
    vad_changed = Signal(float, float)
    push_to_talk_key_changed = Signal(str)
    restart_needed = Signal(str)

    def __init__(
        self,
        settings: AppSettings,
        backend: AudioBackend,
        runner: AsyncRunner,
        player: PcmPlayer,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._backend = backend
        self._runner = runner
        self._player = player
        self._devices_loaded = False
        self.probe = InputLevelProbe(backend, self)
        audio, conversation = settings.audio, settings.conversation

        self.input_device = QComboBox()
        self.input_device.setAccessibleName("Microphone")
        self.output_device = QComboBox()
        self.output_device.setAccessibleName("Speaker")
        self.mic_test_button = QPushButton("Test microphone")
        self.mic_test_button.setCheckable(True)
        self.mic_meter = LevelMeter("Microphone test level")
        self.speaker_test_button = QPushButton("Play test sound")
        self.device_status = plain_label(QLabel())  # device names and errors come from the sound system
        self.device_status.setWordWrap(True)

        self.mode = QComboBox()
        for mode, label in MODES:
            self.mode.addItem(label, mode)
        self.mode.setCurrentIndex(self.mode.findData(conversation.mode))
        self.ptt_key = QKeySequenceEdit(QKeySequence(audio.push_to_talk_key))
        self.ptt_key.setMaximumSequenceLength(1)
        self.ptt_key.setAccessibleName("Push-to-talk key")
        self.vad_confidence = QDoubleSpinBox()
        self.vad_confidence.setRange(0.05, 0.95)
        self.vad_confidence.setSingleStep(0.05)
        self.vad_confidence.setValue(audio.vad_confidence)
        self.vad_confidence.setToolTip("Higher ignores more background noise; lower catches quiet speech.")
        self.vad_stop = QDoubleSpinBox()
        self.vad_stop.setRange(0.05, 3.0)
        self.vad_stop.setSingleStep(0.05)
        self.vad_stop.setSuffix(" s")
        self.vad_stop.setValue(audio.vad_stop_secs)
        self.vad_stop.setToolTip("How long a pause ends your turn in hands-free mode.")
        self.interrupt_words = QSpinBox()
        self.interrupt_words.setRange(1, 20)
        self.interrupt_words.setValue(conversation.interruption_min_words)
        self.interrupt_words.setToolTip("Words you must say to cut the assistant off while it speaks (hands-free).")
        self.speculate = QCheckBox("Start the reply before your words are final")
        self.speculate.setChecked(conversation.speculative_replies)
        self.speculate.setToolTip(
            "As you let go of the push-to-talk key, or pause in hands-free mode, the reply is written and spoken from "
            "what was heard so far, and played only if the final transcript says the same; otherwise it is dropped "
            "unheard. Faster replies, at the cost of some unused requests."
        )
        self.echo = QCheckBox("Cancel the assistant's voice from the microphone (echo cancellation)")
        self.echo.setChecked(audio.echo_cancellation)
        self.echo_hint = QLabel(
            "Keep it on with speakers, so the assistant does not hear itself. With headphones there is no echo to "
            "cancel: turning it off lets you interrupt the assistant more reliably while it speaks."
        )
        self.echo_hint.setWordWrap(True)
        self.echo_hint.setEnabled(False)  # drawn in the palette's secondary text colour
        self.echo.setToolTip(self.echo_hint.text())
        self.noise = QCheckBox("Suppress background noise")
        self.noise.setChecked(audio.noise_suppression)
        self.turn_status = plain_label(QLabel())
        self.turn_status.setWordWrap(True)

        devices = QGroupBox("Devices")
        device_form = QFormLayout(devices)
        mic_row = QHBoxLayout()
        mic_row.addWidget(self.input_device, 1)
        mic_row.addWidget(self.mic_test_button)
        device_form.addRow("Microphone", mic_row)
        device_form.addRow("Level", self.mic_meter)
        speaker_row = QHBoxLayout()
        speaker_row.addWidget(self.output_device, 1)
        speaker_row.addWidget(self.speaker_test_button)
        device_form.addRow("Speaker", speaker_row)
        device_form.addRow(self.device_status)
        turns = QGroupBox("Taking turns")
        turn_form = QFormLayout(turns)
        turn_form.addRow("Mode", self.mode)
        turn_form.addRow("Push-to-talk key", self.ptt_key)
        turn_form.addRow("Speech detection confidence", self.vad_confidence)
        turn_form.addRow("Pause that ends your turn", self.vad_stop)
        turn_form.addRow("Words to interrupt", self.interrupt_words)
        turn_form.addRow(self.speculate)
        turn_form.addRow(self.turn_status)
        echo = QGroupBox("Echo and noise")
        echo_layout = QVBoxLayout(echo)
        echo_layout.addWidget(self.echo)
        echo_layout.addWidget(self.echo_hint)
        echo_layout.addWidget(self.noise)
        layout = QVBoxLayout(self)
        layout.addWidget(devices)
        layout.addWidget(turns)
        layout.addWidget(echo)
        layout.addStretch(1)

        self.input_device.activated.connect(self._devices_edited)
        self.output_device.activated.connect(self._devices_edited)
        self.mic_test_button.toggled.connect(self._toggle_mic_test)
        self.probe.level_changed.connect(self.mic_meter.set_level)
        self.probe.failed.connect(self._mic_test_failed)
        self.speaker_test_button.clicked.connect(self.play_test_sound)
        self.mode.activated.connect(self._mode_edited)
        self.ptt_key.editingFinished.connect(self._ptt_key_edited)
        self.vad_confidence.editingFinished.connect(self._vad_edited)
        self.vad_stop.editingFinished.connect(self._vad_edited)
        self.interrupt_words.editingFinished.connect(self._interrupt_edited)
        self.speculate.toggled.connect(self._speculate_edited)
        self.echo.toggled.connect(self._echo_edited)
        self.noise.toggled.connect(self._echo_edited)

    # ------------------------------------------------------------------------------------------------ devices
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._devices_loaded:
            self.reload_devices()

    def reload_devices(self) -> None:
        self._devices_loaded = True
        self.device_status.setText("Looking for audio devices…")
        self._runner.start("devices", asyncio.to_thread(self._backend.devices), self._show_devices, self._no_devices)

    def _show_devices(self, devices: list[DeviceInfo]) -> None:
        self.device_status.setText("")
        self._fill(
            self.input_device, [d.name for d in devices if d.input_channels > 0], self._settings.audio.input_device
        )
        self._fill(
            self.output_device, [d.name for d in devices if d.output_channels > 0], self._settings.audio.output_device
        )
        if not any(d.input_channels for d in devices):
            self.device_status.setText("No microphone was found. Connect one and reopen Settings.")

    def _no_devices(self, message: str) -> None:
        self.device_status.setText(message)

    @staticmethod
    def _fill(combo: QComboBox, names: list[str], current: int | str | None) -> None:
        combo.clear()
        combo.addItem("System default", None)
        for name in names:
            combo.addItem(name, name)
        if current is None:
            combo.setCurrentIndex(0)
            return
        index = combo.findData(current) if isinstance(current, str) else -1
        if index < 0:
            combo.addItem(f"{current} (not connected)", current)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def _devices_edited(self) -> None:
        audio = self._settings.audio
        chosen = (self.input_device.currentData(), self.output_device.currentData())
        if chosen == (audio.input_device, audio.output_device):
            return
        audio.input_device, audio.output_device = chosen
        if self.probe.running:
            self._runner.start("mic-test", self.probe.start(audio.input_device), lambda _r: None, self._mic_test_failed)
        self.devices_changed.emit(*chosen)

    def _toggle_mic_test(self, on: bool) -> None:
        self.mic_test_button.setText("Stop test" if on else "Test microphone")
        if on:
            self.device_status.setText("Speak: the bar shows what the microphone hears.")
            self._runner.start(
                "mic-test", self.probe.start(self._settings.audio.input_device), lambda _r: None, self._mic_test_failed
            )
        else:
            self.device_status.setText("")
            self._runner.start("mic-test", self.probe.stop(), lambda _r: None, self._mic_test_failed)

    def _mic_test_failed(self, message: str) -> None:
        self.device_status.setText(message)
        self.mic_test_button.blockSignals(True)
        self.mic_test_button.setChecked(False)
        self.mic_test_button.setText("Test microphone")
        self.mic_test_button.blockSignals(False)

    def play_test_sound(self) -> None:
        self.device_status.setText("Playing a test sound…")
        self._runner.start(
            "speaker-test",
            self._player.play(tone_pcm(), TEST_TONE_RATE, self._settings.audio.output_device),
            lambda _r: self.device_status.setText("Did you hear a tone? If not, choose another speaker."),
            self.device_status.setText,
        )

    async def stop_tests(self) -> None:
        """Close the microphone test and stop any sound (the dialog calls this when it is hidden)."""
        self._player.stop()
        if self.probe.running:
            await self.probe.stop()
        self._mic_test_failed("")

    # ------------------------------------------------------------------------------------------------ turns
    def _mode_edited(self) -> None:
        mode = self.mode.currentData()
        if mode is self._settings.conversation.mode:
            return
        self._settings.conversation.mode = mode
        self.mode_changed.emit(mode)

    def _ptt_key_edited(self) -> None:
        sequence = self.ptt_key.keySequence()
        if sequence.isEmpty():
            self.ptt_key.setKeySequence(QKeySequence(self._settings.audio.push_to_talk_key))
            return
        combination = sequence[0]  # type: ignore[index]  # QKeySequence supports [] (PySide6's stubs miss it)
        if combination.keyboardModifiers() != Qt.KeyboardModifier.NoModifier:
            self.turn_status.setText("Choose a single key without Ctrl, Alt, Shift or Meta.")
            self.ptt_key.setKeySequence(QKeySequence(self._settings.audio.push_to_talk_key))
            return
        text = QKeySequence(combination.key()).toString(QKeySequence.SequenceFormat.PortableText)
        self.turn_status.setText("")
        if text == self._settings.audio.push_to_talk_key:
            return
        self._settings.audio.push_to_talk_key = text
        self.push_to_talk_key_changed.emit(text)

    def _vad_edited(self) -> None:
        audio = self._settings.audio
        values = (round(self.vad_confidence.value(), 2), round(self.vad_stop.value(), 2))
        if values == (audio.vad_confidence, audio.vad_stop_secs):
            return
        audio.vad_confidence, audio.vad_stop_secs = values
        self.vad_changed.emit(*values)

    def _interrupt_edited(self) -> None:
        value = self.interrupt_words.value()
        if value == self._settings.conversation.interruption_min_words:
            return
        self._settings.conversation.interruption_min_words = value
        self.restart_needed.emit("The words needed to interrupt apply from the next session.")

    def _speculate_edited(self, on: bool) -> None:
        if on == self._settings.conversation.speculative_replies:
            return
        self._settings.conversation.speculative_replies = on
        self.restart_needed.emit("Starting the reply as you let go applies from the next session.")

    def _echo_edited(self) -> None:
        audio = self._settings.audio
        values = (self.echo.isChecked(), self.noise.isChecked())
        if values == (audio.echo_cancellation, audio.noise_suppression):
            return
        audio.echo_cancellation, audio.noise_suppression = values
        self.echo_changed.emit(*values)
