"""Settings > Voice: the text-to-speech account's voices with search and filters, a spoken preview, and apply.

The list is fetched page by page from the provider's voice catalogue (``ProviderSpec.voice_catalog``) on the qasync
loop when the page is first shown; typing in the
search box waits for a short pause before asking again. The language filter follows the speech-recognition language
(:meth:`VoicePage.set_language`). Only the filters the provider's catalogue honours are shown (its ``filters``, the
:class:`VoiceQuery` fields it can filter by; all of them when it does not say): a provider that cannot filter by
accent gets no accent filter. The saved voice is looked up in the account at the same time: one it no longer has
(providers retire voices) is said in one sentence, with a button that switches to a current premade voice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_agent.config.languages import AUTO, LANGUAGES
from desktop_agent.config.pcm_player import PcmPlayer
from desktop_agent.config.settings import AppSettings
from desktop_agent.config.voices import (
    PREVIEW_SAMPLE_RATE,
    Voice,
    VoiceError,
    VoiceQuery,
    sample_sentence,
)
from desktop_agent.config.voices import VoicePage as Page
from desktop_agent.engine.catalogue import voice_unavailable
from desktop_agent.engine.config import ProviderEndpoint
from desktop_agent.providers import ProviderSpec
from desktop_agent.state.events import ChoiceUnavailable, Provider
from desktop_agent.ui.settings.async_runner import AsyncRunner
from desktop_agent.ui.settings.switch_notice import SwitchNotice
from desktop_agent.ui.untrusted_text import plain_label, plain_tooltip, shown_name

SEARCH_PAUSE_MS = 350
GENDERS = (("", "Any gender"), ("female", "Female"), ("male", "Male"), ("neutral", "Neutral"))
ACCENTS = (
    "american",
    "british",
    "australian",
    "irish",
    "indian",
    "canadian",
    "african",
    "german",
    "french",
    "spanish",
    "italian",
)
VOICE_ROLE = Qt.ItemDataRole.UserRole
#: The :class:`VoiceQuery` filters a catalogue honours unless it says otherwise (its ``filters`` attribute).
ALL_FILTERS = frozenset({"search", "language", "gender", "accent", "category"})
SEARCH_HINTS = {True: "Search voices by name, description, accent…", False: "Search voices by name or description…"}


class VoicePage(QWidget):
    """Emits ``voice_applied(voice_id, name)`` when the user picks a voice for the session."""

    voice_applied = Signal(str, str)

    def __init__(
        self,
        settings: AppSettings,
        endpoint: Callable[[], ProviderEndpoint],
        runner: AsyncRunner,
        player: PcmPlayer,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._endpoint = endpoint
        self._runner = runner
        self._player = player
        self._next_token: str | None = None
        self._loaded = False
        self.page_size = 30

        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText(SEARCH_HINTS[True])
        self.search_field.setClearButtonEnabled(True)
        self.language_filter = QComboBox()
        self.language_filter.addItem("Any language", "")
        for code, name in LANGUAGES:
            if code != AUTO:  # detection is not a language a voice speaks
                self.language_filter.addItem(name, code)
        self.gender_filter = QComboBox()
        for value, label in GENDERS:
            self.gender_filter.addItem(label, value)
        self.accent_filter = QComboBox()
        self.accent_filter.addItem("Any accent", "")
        for accent in ACCENTS:
            self.accent_filter.addItem(accent.capitalize(), accent)
        self.voice_list = QListWidget()
        self.voice_list.setAccessibleName("Voices")
        self.more_button = QPushButton("Load more")
        self.more_button.setVisible(False)
        self.status_label = plain_label(QLabel())  # voice names and errors come from the provider
        self.status_label.setWordWrap(True)
        self.current_label = plain_label(QLabel())
        self.preview_button = QPushButton("Preview")
        self.apply_button = QPushButton("Use this voice")
        self.preview_button.setEnabled(False)
        self.apply_button.setEnabled(False)

        filters = QHBoxLayout()
        for widget in (self.language_filter, self.gender_filter, self.accent_filter):
            filters.addWidget(widget)
        actions = QHBoxLayout()
        actions.addWidget(self.current_label, 1)
        actions.addWidget(self.preview_button)
        actions.addWidget(self.apply_button)
        form = QFormLayout()
        form.addRow("Search", self.search_field)
        form.addRow("Filter", filters)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.voice_list, 1)
        layout.addWidget(self.more_button)
        layout.addWidget(self.status_label)
        self.missing_notice = SwitchNotice()
        layout.addWidget(self.missing_notice)
        layout.addLayout(actions)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_PAUSE_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search_field.textChanged.connect(self._search_timer.start)
        for combo in (self.language_filter, self.gender_filter, self.accent_filter):
            combo.currentIndexChanged.connect(self.refresh)
        self.more_button.clicked.connect(self.load_more)
        self.voice_list.currentItemChanged.connect(self._selection_changed)
        self.voice_list.itemDoubleClicked.connect(lambda _item: self.apply())
        self.preview_button.clicked.connect(self.toggle_preview)
        self.apply_button.clicked.connect(self.apply)
        self.missing_notice.switch_requested.connect(self._use_voice)
        self.set_language(settings.models.stt_language, refresh=False)
        self._show_filters()
        self._show_current()

    # ------------------------------------------------------------------------------------------------ queries
    def query(self) -> VoiceQuery:
        """The search and the filters shown (a filter the provider cannot apply is never sent)."""
        offered = self.filters()

        def chosen(name: str, combo: QComboBox) -> str:
            return (combo.currentData() or "") if name in offered else ""

        return VoiceQuery(
            search=self.search_field.text().strip(),
            language=chosen("language", self.language_filter),
            gender=chosen("gender", self.gender_filter),
            accent=chosen("accent", self.accent_filter),
            page_size=self.page_size,
        )

    def filters(self) -> frozenset[str]:
        """The :class:`VoiceQuery` fields the provider's catalogue can filter by."""
        make = self._spec().voice_catalog
        if make is None:
            return ALL_FILTERS
        # Which filters a catalogue honours is a property of its kind: an unkeyed one (no request is made) says it.
        return frozenset(getattr(make("", ""), "filters", ALL_FILTERS))

    def _show_filters(self) -> None:
        """Show the filters the provider honours; a hidden one goes back to "any" so it cannot narrow the list."""
        offered = self.filters()
        for name, combo in (
            ("language", self.language_filter),
            ("gender", self.gender_filter),
            ("accent", self.accent_filter),
        ):
            combo.setVisible(name in offered)
            if name not in offered and combo.currentIndex() != 0:
                combo.blockSignals(True)
                combo.setCurrentIndex(0)
                combo.blockSignals(False)
        self.search_field.setPlaceholderText(SEARCH_HINTS["accent" in offered])

    def voices(self) -> list[Voice]:
        return [self.voice_list.item(i).data(VOICE_ROLE) for i in range(self.voice_list.count())]

    def selected_voice(self) -> Voice | None:
        item = self.voice_list.currentItem()
        return item.data(VOICE_ROLE) if item is not None else None

    def set_language(self, code: str, refresh: bool = True) -> None:
        """Filter by ``code`` (the speech-recognition language); unknown codes mean "any language"."""
        index = max(0, self.language_filter.findData(code))
        if index == self.language_filter.currentIndex():
            return
        self.language_filter.blockSignals(True)
        self.language_filter.setCurrentIndex(index)
        self.language_filter.blockSignals(False)
        if refresh and self._loaded:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self.refresh()
            self.check_current()

    def check_current(self) -> None:
        """Ask the account whether it still has the saved voice; if not, offer a current one to switch to."""
        voice = self._settings.voice
        if not voice.voice_id:
            self.missing_notice.show_problem(None)
            return
        self._runner.start(
            "voice-check",
            self._missing_voice(voice.voice_id, voice.voice_name),
            self._show_missing,
            lambda _message: None,
        )  # unknown: the list says why

    async def _missing_voice(self, voice_id: str, name: str) -> ChoiceUnavailable | None:
        catalog = self._catalog()
        if await catalog.find(voice_id) is not None:
            return None
        return voice_unavailable(
            voice_id, name, await catalog.first_run_voice(self._settings.models.stt_language), self._spec().display_name
        )

    def _show_missing(self, problem: ChoiceUnavailable | None) -> None:
        if problem is not None and problem.current != self._settings.voice.voice_id:
            return  # another voice was chosen meanwhile
        self.missing_notice.show_problem(problem)

    # ------------------------------------------------------------------------------------------------ loading
    def refresh(self) -> None:
        """Fetch the first page for the current search and filters (replacing any fetch under way)."""
        self._search_timer.stop()
        self._loaded = True
        if self._spec().voice_catalog is None:
            self.voice_list.clear()
            self.more_button.setVisible(False)
            self.status_label.setText(
                f"{self._spec().display_name} voices cannot be listed here; the voice "
                f"{self._spec().default_voice_name} is used."
            )
            return
        self.status_label.setText("Loading voices…")
        self._runner.start("voices", self._catalog().search(self.query()), self._show_first_page, self._failed)

    def load_more(self) -> None:
        if not self._next_token:
            return
        self.more_button.setEnabled(False)
        self._runner.start(
            "voices", self._catalog().search(self.query(), self._next_token), self._show_more, self._failed
        )

    def _spec(self) -> ProviderSpec:
        return self._settings.providers.spec(Provider.TTS)

    def _catalog(self) -> Any:
        endpoint = self._endpoint()
        make = self._spec().voice_catalog
        if make is None:  # callers look first: refresh() says so instead of asking
            raise VoiceError(f"{self._spec().display_name} voices cannot be listed here.")
        return make(endpoint.api_key, endpoint.base_url)

    def provider_changed(self) -> None:
        """Another provider speaks: its voices replace the list (fetched again when the page shows)."""
        self._runner.cancel("voices")
        self.voice_list.clear()
        self.missing_notice.show_problem(None)
        self._next_token = None
        self._loaded = False
        self._show_filters()
        self._show_current()
        if self.isVisible():
            self.refresh()

    def _show_first_page(self, page: Page) -> None:
        self.voice_list.clear()
        self._show_more(page)

    def _show_more(self, page: Page) -> None:
        for voice in page.voices:
            name = shown_name(voice.name)
            item = QListWidgetItem(f"{name} — {shown_name(voice.summary, 120)}" if voice.summary else name)
            item.setData(VOICE_ROLE, voice)
            item.setToolTip(plain_tooltip(voice.description))
            self.voice_list.addItem(item)
            if voice.voice_id == self._settings.voice.voice_id and self.voice_list.currentItem() is None:
                self.voice_list.setCurrentItem(item)
        self._next_token = page.next_page_token if page.has_more else None
        self.more_button.setVisible(self._next_token is not None)
        self.more_button.setEnabled(True)
        shown = self.voice_list.count()
        if shown == 0:
            self.status_label.setText("No voices match; change the search or the filters.")
        elif page.total_count is not None:
            self.status_label.setText(f"Showing {shown} of {page.total_count} voices.")
        else:
            self.status_label.setText(f"Showing {shown} voices.")

    def _failed(self, message: str) -> None:
        self.more_button.setEnabled(True)
        self.status_label.setText(message)

    # ------------------------------------------------------------------------------------------------ actions
    def _selection_changed(self) -> None:
        has_voice = self.selected_voice() is not None
        self.preview_button.setEnabled(has_voice or self._runner.busy("preview"))
        self.apply_button.setEnabled(has_voice)

    def toggle_preview(self) -> None:
        if self._runner.busy("preview"):
            self._player.stop()
            self._runner.cancel("preview")
            self._preview_done(None)
            return
        voice = self.selected_voice()
        if voice is None:
            return
        self.preview_button.setText("Stop")
        self.status_label.setText(f"Preparing a preview of {shown_name(voice.name)}…")
        self._runner.start("preview", self._preview(voice), self._preview_done, self._preview_failed)

    async def _preview(self, voice: Voice) -> None:
        text = sample_sentence(voice.language or self._settings.models.stt_language)
        pcm = await self._catalog().preview(voice.voice_id, text, model_id=self._settings.models.tts_model)
        self.status_label.setText(f"Playing a preview of {shown_name(voice.name)}.")
        await self._player.play(pcm, PREVIEW_SAMPLE_RATE, self._settings.audio.output_device)

    def _preview_done(self, _result: None) -> None:
        self.preview_button.setText("Preview")
        self.preview_button.setEnabled(self.selected_voice() is not None)
        self.status_label.setText("")

    def _preview_failed(self, message: str) -> None:
        self._preview_done(None)
        self.status_label.setText(message)

    def apply(self) -> None:
        voice = self.selected_voice()
        if voice is None:
            return
        self._use_voice(voice.voice_id, voice.name)

    def _use_voice(self, voice_id: str, name: str) -> None:
        self._settings.voice.voice_id = voice_id
        self._settings.voice.voice_name = name
        self.show_current()
        self.voice_applied.emit(voice_id, name)

    def show_current(self) -> None:
        """Show the saved voice (also after it was switched elsewhere, e.g. from the window's banner)."""
        problem = self.missing_notice.problem
        if problem is not None and problem.current != self._settings.voice.voice_id:
            self.missing_notice.show_problem(None)
        self._show_current()

    def _show_current(self) -> None:
        voice = self._settings.voice
        current = voice.voice_name or voice.voice_id or f"{self._spec().default_voice_name} (until you choose one)"
        self.current_label.setText(f"Current voice: {shown_name(current)}")
