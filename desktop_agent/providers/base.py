"""What the app knows about one provider (:class:`ProviderSpec`): its role, name, key, address, models, voices,
prices, key test, emulator, and how its Pipecat service is built.

Everything vendor-specific lives in the provider's own module beside this one (its role, name, key variable and
keyring entry, endpoint, models or voices, prices, how to build its Pipecat service and test a key, its emulator).
The rest of the app speaks of roles (speech to text, language model, text to speech) and asks the registry
(:mod:`desktop_agent.providers`) which provider plays one.

Pipecat is imported only inside the builders, so settings, the console and the window can read the specs without
loading any service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desktop_agent.state.events import Provider as Role

if TYPE_CHECKING:
    from desktop_agent.engine.config import EngineConfig, ProviderEndpoint

#: Turns the session's configuration into the provider's Pipecat service (its own class, its ``Settings`` object).
ServiceBuilder = Callable[["EngineConfig"], Any]


@dataclass(frozen=True)
class Prices:
    """List prices in US dollars, in the unit of the role: per audio hour (STT), per million tokens (LLM), per
    thousand characters (TTS). Editable in settings; these are what a new user starts with."""

    per_unit: float
    note: str = ""


@dataclass(frozen=True)
class KeyCheck:
    """How a key is tested with one small authenticated request.

    ``kind`` is ``"http"`` (GET ``path`` below the REST base with ``headers``, where ``{key}`` is replaced by the key;
    2xx means it works) or ``"websocket"`` (open ``path`` below the websocket base with ``headers`` and ``query``,
    then close at once).
    """

    kind: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    #: What a working key's answer counts: "models" (a ``data`` list) or "voices" (``total_count``), or "".
    counts: str = ""


@dataclass(frozen=True, eq=False)
class ProviderSpec:
    """One provider in one role. ``id`` is what settings store (``providers.llm = "groq"``). One instance per
    provider (the registry's), compared and hashed by identity."""

    id: str
    role: Role
    display_name: str
    #: Environment variable that overrides the keyring (``GROQ_API_KEY``); None when the provider takes no key.
    key_variable: str | None
    #: Keyring user name under the app's service; the same for every role a vendor plays (one Cartesia key).
    keyring_name: str
    #: Where the user gets a key, as shown beside the key field.
    key_hint: str
    #: The provider's own (TLS) address; settings may point elsewhere (a proxy, the simulator, a local server).
    default_url: str
    #: Environment variable users of the vendor's SDK already know for the address (``GROQ_BASE_URL``).
    url_variable: str
    default_model: str
    #: Models offered in Settings before (or without) asking the provider what it serves.
    known_models: tuple[str, ...]
    prices: Prices
    build: ServiceBuilder
    key_check: KeyCheck
    #: The emulator in :mod:`desktop_agent.simulator` that plays this provider (its name there).
    emulator: str
    #: Voices (TTS): the default voice and its name, used when none was chosen and the account cannot be asked.
    default_voice_id: str = ""
    default_voice_name: str = ""
    #: Sample rates the provider can stream as raw PCM (TTS).
    sample_rates: tuple[int, ...] = ()
    #: False for a server that needs no key on this computer (a local OpenAI-compatible server).
    key_required: bool = True
    #: True when ``GET {base}/models`` lists what the key may use (OpenAI-style language models).
    lists_models: bool = False
    #: Short description for Settings ("Deepgram Nova-3, streaming").
    summary: str = ""
    #: The account's voice list (TTS): ``voice_catalog(api_key, base_url)`` -> a catalogue with ``search``, ``find``,
    #: ``premade_voices``, ``first_run_voice``, ``preview`` and optionally ``filters`` (the search filters it can
    #: apply; all when absent); None when the app cannot list the provider's voices.
    voice_catalog: Callable[[str, str], Any] | None = None
    #: Other words that name the vendor in a settings file's key names ("xi" for ElevenLabs' ``xi-api-key``).
    aliases: tuple[str, ...] = ()
    #: The request's ``reasoning_effort`` for a model (LLM): the lowest it takes, None for a model without it.
    reasoning_effort: Callable[[str], str | None] = lambda model: None
    #: A start-up check that the key is refused, for a provider whose streaming connection cannot say so itself
    #: (True only when the provider answered "wrong key"); run beside the start-up, so it costs no latency.
    key_rejected: Callable[[ProviderEndpoint], Awaitable[bool]] | None = None
    #: The app's language codes this provider speaks (STT, TTS), "auto" among them when it detects the language
    #: itself; empty = the general languages and Indian English (desktop_agent.config.languages).
    languages: tuple[str, ...] = ()
    #: The app's language code as this provider's service is given it (Sarvam writes Hindi ``hi-IN``).
    language_code: Callable[[str], str] = lambda language: language
    #: Text to speech: whether the service times each word against its audio. Without it Pipecat releases the text as
    #: it is sent, so the words shown tell nothing of what was heard (a reply cut by a dropped voice is then judged by
    #: what the speaker played, not by its words).
    word_timing: bool = True
    #: Speech to text: the service itself says when a turn starts, probably ends and ends (Pipecat's proposed start
    #: and stop and eager end-of-turn frames). Hands-free turns are then taken from it, not from the app's own voice
    #: detection and smart-turn, whose marks must not reach the turn strategies (speculation-and-livekit.md, P-1).
    decides_turns: bool = False

    def speaks(self, language: str) -> bool:
        """Whether this provider can hear or speak ``language`` (an app code)."""
        from desktop_agent.config.languages import GENERAL_LANGUAGES, canonical

        language = canonical(language)
        if self.languages:
            return language in self.languages
        return language in dict(GENERAL_LANGUAGES) or language == "en-IN"

    @property
    def secure_scheme(self) -> str:
        """``https`` or ``wss``: what an address on another computer must use (keys travel in it)."""
        scheme = self.default_url.split("://", 1)[0]
        return {"http": "https", "ws": "wss"}.get(scheme, scheme)

    @property
    def plain_scheme(self) -> str:
        """``http`` or ``ws``: allowed on this computer only."""
        return {"https": "http", "wss": "ws"}[self.secure_scheme]

    def model_or_default(self, model: str) -> str:
        """``model`` as chosen in settings, or this provider's default when none was ("")."""
        return model.strip() or self.default_model
