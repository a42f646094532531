"""The app's settings: nested dataclasses (the schema) and :class:`SettingsStore` (a JSON file plus overrides).

The file lives in the platform's config directory (``settings.json``, see :mod:`desktop_agent.config.paths`) and
carries ``schema_version``. Every setting can be overridden, without touching the file, by an environment variable
or a ``.env`` line named ``DESKTOP_AGENT_<SECTION>__<FIELD>`` (double underscore between the parts, any case), e.g.::

    DESKTOP_AGENT_MODELS__TEMPERATURE=0.5
    DESKTOP_AGENT_AUDIO__ECHO_CANCELLATION=false
    DESKTOP_AGENT_BUDGETS__VOICE_TO_VOICE=0.9        # a latency budget, by stage name
    DESKTOP_AGENT_PRICES__LLM_PER_MILLION_TOKENS=0.6
    DESKTOP_AGENT_PROVIDERS__LLM=<id>                # which provider plays a role (ids: desktop_agent.providers)
    <VENDOR>_BASE_URL=http://127.0.0.1:8000/v1       # the address of the provider playing a role, by the
                                                     # vendor SDK's own variable (ProviderSpec.url_variable)

Precedence: process environment > ``.env`` in the working directory > ``.env`` in the config directory > the file
> the defaults below. API keys are never settings (see :mod:`desktop_agent.config.secrets`): a key found in the
file is moved to the keyring and removed from it.

Loading never fails and never destroys anything: an unusable value falls back to its default with a sentence in
``problems`` (the file keeps it until the next save replaces that one value); a damaged file (not JSON, not an
object, larger than :data:`MAX_SETTINGS_BYTES`, nested deeper than any settings file) is moved aside to
``settings.json.corrupt-<timestamp>``; keys this version does not know are kept on save.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from loguru import logger

from desktop_agent import providers
from desktop_agent.config import paths, schema
from desktop_agent.config.atomic import write_text_atomic
from desktop_agent.config.environment import Environment
from desktop_agent.config.local_files import DamagedFile, error_words, parse_json_object, read_text_limited
from desktop_agent.config.logging_setup import add_redaction
from desktop_agent.config.schema import Invalid, setting
from desktop_agent.global_shortcut.shortcut import TalkKeyStyle, shortcut_problem
from desktop_agent.state.cost import PriceTable
from desktop_agent.state.events import Provider, Stage, TurnMode
from desktop_agent.state.latency import DEFAULT_BUDGETS
from desktop_agent.state.plain_text import shorten
from desktop_agent.state.spending import AtLimit, SpendingLimits
from desktop_agent.summaries.fields_schema import DEFAULT_FIELDS_SCHEMA, fields_problem

SCHEMA_VERSION = 1
ENV_PREFIX = "DESKTOP_AGENT_"
#: A settings file is a few kilobytes; one this large is damage (or not a settings file), and is set aside unread.
MAX_SETTINGS_BYTES = 1_000_000
#: Unusable values listed one by one; beyond this many, the rest are counted in one more sentence.
MAX_LISTED_VALUE_PROBLEMS = 12
#: How much of an unusable value a sentence quotes.
SHOWN_VALUE_LENGTH = 60

DEFAULT_PROMPT_NAME = "Voice assistant"
TTS_SAMPLE_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)

#: Known choices of the default providers, offered by the panel (the fields accept any non-empty name, for models
#: that appear later; Settings lists what the provider serves at run time).
LLM_MODELS = providers.default_for(Provider.LLM).known_models
TTS_MODELS = providers.default_for(Provider.TTS).known_models
STT_MODELS = providers.default_for(Provider.STT).known_models


def _not_blank(value: str) -> str | None:
    return "is empty" if not value.strip() else None


def _global_shortcut(value: str) -> str | None:
    if shortcut_problem(value) is None:
        return None
    return "cannot be a global shortcut: choose a key such as F8 or Pause, or add Ctrl, Alt or Meta"


def _language_code(value: str) -> str | None:
    if value == "auto" or re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", value):
        return None
    return "is not a language code such as en, hi or ta (or auto to detect it)"


def _endpoint_check(secure: str, plain: str) -> Callable[[str], str | None]:
    """ "" (the provider's own address) or a URL; plain schemes only on this computer (keys must not travel clear)."""

    def check(value: str) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in (secure, plain) or not parts.hostname:
            return f"is not a {secure}:// address"
        if parts.scheme == plain and not is_loopback(parts.hostname):
            return f"uses {plain}:// to another computer; use {secure}:// so the API key travels encrypted"
        return None

    return check


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _history_exchanges(value: int) -> str | None:
    return "must be 0 (keep everything) or at least 10" if value != 0 and value < 10 else None


def _plays(role: Provider, optional: bool = False) -> Callable[[str], str | None]:
    """A provider id that can play ``role`` (or "" for none, when ``optional``)."""

    def check(value: str) -> str | None:
        ids = [spec.id for spec in providers.for_role(role)]
        if value in ids or (optional and value == ""):
            return None
        return f"is not a {role.role_name} provider ({', '.join(ids)})"

    return check


# ------------------------------------------------------------------------------------------------------ the schema
@dataclass
class ProviderSettings:
    """Which provider plays each role, and its address; an address "" means the provider's own (TLS) one."""

    stt: str = setting(providers.DEFAULTS[Provider.STT], check=_plays(Provider.STT), help="speech-to-text provider")
    llm: str = setting(providers.DEFAULTS[Provider.LLM], check=_plays(Provider.LLM), help="language model provider")
    tts: str = setting(providers.DEFAULTS[Provider.TTS], check=_plays(Provider.TTS), help="text-to-speech provider")
    stt_fallback: str = setting(
        "",
        check=_plays(Provider.STT, optional=True),
        help="speech-to-text provider that takes over when the chosen one's connection fails; empty = none",
    )
    llm_fallback: str = setting(
        "",
        check=_plays(Provider.LLM, optional=True),
        help="language model provider that answers when the chosen one fails; empty = none",
    )
    tts_fallback: str = setting(
        "",
        check=_plays(Provider.TTS, optional=True),
        help="text-to-speech provider that takes over when the chosen one's connection fails; empty = none",
    )
    stt_url: str = setting("", check=_endpoint_check("wss", "ws"), help="speech-to-text websocket base, e.g. wss://…")
    llm_url: str = setting("", check=_endpoint_check("https", "http"), help="language model base URL ending in /v1")
    tts_url: str = setting("", check=_endpoint_check("wss", "ws"), help="text-to-speech websocket base, e.g. wss://…")

    def url(self, provider: Provider) -> str:
        return {Provider.STT: self.stt_url, Provider.LLM: self.llm_url, Provider.TTS: self.tts_url}[provider]

    def chosen(self, role: Provider) -> str:
        """The id of the provider playing ``role``."""
        return {Provider.STT: self.stt, Provider.LLM: self.llm, Provider.TTS: self.tts}[role]

    def fallback(self, role: Provider) -> str:
        """The id of the provider that takes over ``role`` when the chosen one fails ("" = none)."""
        return {Provider.STT: self.stt_fallback, Provider.LLM: self.llm_fallback, Provider.TTS: self.tts_fallback}[role]

    def set_fallback(self, role: Provider, provider_id: str) -> None:
        setattr(self, f"{role.value}_fallback", provider_id)

    def spec(self, role: Provider) -> providers.ProviderSpec:
        """The provider playing ``role`` (the default one if the id is unknown: loading already said so)."""
        try:
            return providers.get(self.chosen(role))
        except providers.UnknownProvider:
            return providers.default_for(role)


@dataclass
class ModelSettings:
    """The models of the providers playing each role; "" is the provider's own default (a provider switched by the
    environment does not inherit another's model)."""

    llm_model: str = setting("", help="language model; empty = the provider's default")
    temperature: float = setting(0.7, minimum=0.0, maximum=2.0, label="Temperature")
    max_tokens: int = setting(150, minimum=1, maximum=8192, label="The maximum reply length (tokens)")
    stt_model: str = setting("", help="speech-to-text model; empty = the provider's default")
    #: The conversation's language: heard, answered and spoken in it (switchable while a session runs).
    stt_language: str = setting("en", check=_language_code, label="The speech language")
    tts_model: str = setting("", help="voice model; empty = the provider's default")


@dataclass
class VoiceSettings:
    """The text-to-speech provider's voice. "" until the first run picks one from the account's own voices (providers
    retire voices, so no fixed default is safe; see :func:`desktop_agent.config.voices.choose_voice`)."""

    voice_id: str = setting("", help="voice ID of the text-to-speech provider; empty = chosen from the account")
    voice_name: str = setting("")


@dataclass
class PromptSettings:
    active: str = setting(DEFAULT_PROMPT_NAME, check=_not_blank, help="name of the active preset")


@dataclass
class AudioSettings:
    input_device: int | str | None = setting(None, help="sounddevice name or index; empty = system default")
    output_device: int | str | None = setting(None, help="sounddevice name or index; empty = system default")
    output_sample_rate: int = setting(24000, choices=TTS_SAMPLE_RATES)
    vad_confidence: float = setting(0.7, minimum=0.05, maximum=0.95, label="Voice detection confidence")
    vad_stop_secs: float = setting(0.2, minimum=0.05, maximum=3.0, label="The pause that ends speech (seconds)")
    push_to_talk_key: str = setting("Space", check=_not_blank)
    echo_cancellation: bool = setting(True)
    noise_suppression: bool = setting(False)


@dataclass
class ConversationSettings:
    mode: TurnMode = setting(TurnMode.PUSH_TO_TALK)
    interruption_min_words: int = setting(2, minimum=1, maximum=20, label="The words needed to interrupt")
    speculative_replies: bool = setting(True)
    max_history_exchanges: int = setting(
        20, minimum=0, maximum=1000, check=_history_exchanges, label="Conversation memory (past exchanges)"
    )


@dataclass
class DeadlineSettings:
    """How long each answer may take before the turn is retried (once, while nobody heard anything yet), then given
    up with a sentence and Retry. Generous against the product's targets (250 / 300 / 200 ms): they catch a hung
    provider, not a slow one."""

    stt_final_secs: float = setting(
        2.5,
        minimum=0.5,
        maximum=30.0,
        help="final transcript after the end of speech",
        label="The final transcript's deadline (seconds)",
    )
    llm_first_token_secs: float = setting(
        6.0, minimum=1.0, maximum=60.0, help="language model's first word", label="The first word's deadline (seconds)"
    )
    tts_first_audio_secs: float = setting(
        4.0, minimum=0.5, maximum=30.0, help="first audio of the reply", label="The first audio's deadline (seconds)"
    )
    llm_retries: int = setting(
        3,
        minimum=0,
        maximum=10,
        help="retries of a refused (429, 5xx) request within a turn",
        label="Retries of a refused request",
    )


def _summary_fields(value: str) -> str | None:
    return fields_problem(value)


@dataclass
class PrivacySettings:
    keep_history: bool = setting(True)
    retention_days: int = setting(0, minimum=0, maximum=36500, help="0 keeps conversations forever")
    summaries: bool = setting(
        True,
        help="when a conversation ends, the language model writes its title, summary and fields into history",
        label="Summaries",
    )
    summary_fields: str = setting(
        DEFAULT_FIELDS_SCHEMA,
        check=_summary_fields,
        help="a JSON schema of one object: the fields extracted with each summary",
        label="Summary fields",
    )


@dataclass
class SpendingSettings:
    """Budgets for what the providers charge (at the prices in ``prices``): a warning at 80 %, and at 100 % a
    warning or a stop."""

    per_conversation_usd: float = setting(
        0.0, minimum=0.0, maximum=10000.0, help="0 sets no limit", label="The budget per conversation (USD)"
    )
    per_day_usd: float = setting(
        0.0, minimum=0.0, maximum=10000.0, help="0 sets no limit; local days", label="The budget per day (USD)"
    )
    at_limit: AtLimit = setting(
        AtLimit.WARN, help="warn: say so and go on; stop: take no more turns until the budget is raised"
    )

    def limits(self) -> SpendingLimits:
        return SpendingLimits(self.per_conversation_usd, self.per_day_usd, self.at_limit)


@dataclass
class DesktopSettings:
    """How the app lives on the desktop beside its window."""

    close_to_tray: bool = setting(
        False, help="closing the window keeps the app running in the tray", label="Close to tray"
    )
    sound_cues: bool = setting(
        False, help="short sounds on the talk key's press and release and when a reply starts", label="Sound cues"
    )
    global_talk: bool = setting(
        False,
        help="push-to-talk with global_talk_shortcut while other apps have focus (off: it takes a key from every app)",
        label="Push-to-talk from any app",
    )
    global_talk_shortcut: str = setting(
        "F8", check=_global_shortcut, help="e.g. F8, Pause or Ctrl+Alt+Space", label="Push-to-talk shortcut"
    )
    global_talk_style: TalkKeyStyle = setting(
        TalkKeyStyle.HOLD, help="hold: talk while held; toggle: press to start, press again to end"
    )
    start_on_login: bool = setting(
        False,
        help="start the app when you log in (the desktop's autostart entry is written or removed with it)",
        label="Start on login",
    )


def _default_budgets() -> dict[Stage, float]:
    return dict(DEFAULT_BUDGETS)


#: Rules for the items of the dict and frozen-dataclass sections that cannot carry field metadata themselves.
BUDGET_RULE = schema.Rule(minimum=0.01, maximum=10.0)
PRICE_RULE = schema.Rule(minimum=0.0, maximum=1000.0)


@dataclass
class AppSettings:
    """Everything the user can set. The dataclasses are the schema: no setting is ever a bare string key."""

    providers: ProviderSettings = field(default_factory=ProviderSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    prompt: PromptSettings = field(default_factory=PromptSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    conversation: ConversationSettings = field(default_factory=ConversationSettings)
    deadlines: DeadlineSettings = field(default_factory=DeadlineSettings)
    budgets: dict[Stage, float] = field(default_factory=_default_budgets)
    prices: PriceTable = field(default_factory=PriceTable)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    spending: SpendingSettings = field(default_factory=SpendingSettings)
    desktop: DesktopSettings = field(default_factory=DesktopSettings)

    def copy(self) -> AppSettings:
        return copy.deepcopy(self)


_ENDPOINT_FIELDS = {Provider.STT: "stt_url", Provider.LLM: "llm_url", Provider.TTS: "tts_url"}

#: Address variables the provider SDKs' users already know (``<VENDOR>_BASE_URL``), as aliases of the ``providers``
#: address of their role; one applies only while its provider plays the role.
ENDPOINT_VARIABLES: dict[str, str] = {
    spec.url_variable: _ENDPOINT_FIELDS[spec.role] for spec in providers.all_providers()
}


def endpoint_problem(provider: Provider, url: str, name: str = "") -> str | None:
    """Why ``url`` cannot be the address of the provider playing ``provider`` (named ``name``), as a sentence; None
    when it can ("" = the provider's own)."""
    field_ = next(f for f in dataclasses.fields(ProviderSettings) if f.name == _ENDPOINT_FIELDS[provider])
    reason = schema.rule_of(field_).problem(url.strip())
    return f"The {name or provider.role_name} endpoint {url.strip()} {reason}." if reason else None


def set_endpoint(settings: AppSettings, provider: Provider, url: str) -> None:
    setattr(settings.providers, _ENDPOINT_FIELDS[provider], url.strip())


_PRICE_FIELDS = {
    Provider.STT: "stt_per_audio_hour",
    Provider.LLM: "llm_per_million_tokens",
    Provider.TTS: "tts_per_thousand_characters",
}


def choose_provider(settings: AppSettings, spec: providers.ProviderSpec) -> None:
    """Let ``spec`` play its role from now on: its own default model, address, price and (text to speech) voice,
    since a model, address or voice of one vendor means nothing to another."""
    role = spec.role
    setattr(settings.providers, role.value, spec.id)
    fallback = settings.providers.fallback(role)
    if fallback == spec.id:
        settings.providers.set_fallback(role, "")  # a provider cannot stand in for itself
    elif fallback and _known(fallback) and providers.get(fallback).decides_turns is not spec.decides_turns:
        settings.providers.set_fallback(role, "")  # a speech to text that decides turns stands in only for another
    set_endpoint(settings, role, "")
    model_field = {Provider.STT: "stt_model", Provider.LLM: "llm_model", Provider.TTS: "tts_model"}[role]
    setattr(settings.models, model_field, "")
    if role is Provider.TTS:
        settings.voice = VoiceSettings()
    settings.prices = dataclasses.replace(settings.prices, **{_PRICE_FIELDS[role]: spec.prices.per_unit})


def _known(provider_id: str) -> bool:
    try:
        providers.get(provider_id)
    except providers.UnknownProvider:
        return False
    return True


def rule_for(section: str, name: str) -> schema.Rule:
    """The rule of one setting (``rule_for("models", "temperature")``): the one place its range and checks live, used
    by the settings file, the environment overrides, the settings panel and the engine's own check."""
    types = schema.field_types(AppSettings)
    return _rule(types[section], next(f for f in dataclasses.fields(types[section]) if f.name == name))


def setting_problem(section: str, name: str, value: Any) -> str | None:
    """One sentence when ``value`` breaks the setting's rule ("Temperature is not between 0 and 2 (it is 3)."),
    else None."""
    rule = rule_for(section, name)
    reason = rule.problem(value)
    if reason is None:
        return None
    label = rule.label or name.replace("_", " ").capitalize()
    return f"{label} {reason} (it is {_show(value)})."


def env_name(section: str, name: str) -> str:
    """The override variable of one setting, e.g. ``env_name("models", "temperature")``."""
    return f"{ENV_PREFIX}{section.upper()}__{name.upper()}"


def override_variables() -> list[tuple[str, str]]:
    """Every override variable with what it sets, for documentation and ``--help`` texts."""
    variables: list[tuple[str, str]] = []
    types = schema.field_types(AppSettings)
    for section in dataclasses.fields(AppSettings):
        tp = types[section.name]
        if schema.is_dict_type(tp):
            variables += [
                (env_name(section.name, stage.value), f"latency budget of {stage.value}, seconds") for stage in Stage
            ]
            continue
        for f in dataclasses.fields(tp):
            help_text = _rule(tp, f).help or f.name.replace("_", " ")
            variables.append((env_name(section.name, f.name), help_text))
    variables += [
        (name, f"alias of {env_name('providers', attribute)} while that provider plays the role")
        for name, attribute in ENDPOINT_VARIABLES.items()
    ]
    return variables


# ------------------------------------------------------------------------------------------------- secrets in file
_SECRET_NAME = re.compile(r"(api[_-]?key|apikey|secret|token|password)", re.IGNORECASE)


def _provider_hint(path: list[str]) -> providers.ProviderSpec | None:
    """The provider whose key a settings path names: a provider id, key name or alias in it, else a
    role word ("llm") for that role's default provider."""
    text = ".".join(path).lower()

    def named(hint: str) -> bool:
        return re.search(rf"(^|[^a-z]){re.escape(hint)}", text) is not None

    for spec in providers.all_providers():
        if any(named(hint) for hint in {spec.id, spec.keyring_name, *spec.aliases}):
            return spec
    for role in Provider:
        if named(role.value):
            return providers.default_for(role)
    return None


def _extract_secrets(raw: dict, path: list[str] | None = None) -> list[tuple[str, providers.ProviderSpec | None, str]]:
    """Remove every string value whose name looks like a key (``*api_key*``, ``*token*``, …) from ``raw`` in place.

    Returns ``(dotted path, provider or None, value)`` for each one found.
    """
    path = path or []
    found: list[tuple[str, providers.ProviderSpec | None, str]] = []
    for name in list(raw):
        value = raw[name]
        here = [*path, str(name)]
        if isinstance(value, dict):
            inner = _extract_secrets(value, here)
            found.extend(inner)
            if inner and not value:  # emptied by the removal: drop the group too
                del raw[name]
        elif isinstance(value, str) and value.strip() and _SECRET_NAME.search(str(name)):
            found.append((".".join(here), _provider_hint(here), value.strip()))
            del raw[name]
    return found


# ------------------------------------------------------------------------------------------------------ the store
class SettingsStore:
    """Loads and saves :class:`AppSettings`; see the module docstring for file, overrides and failure handling.

    ``secrets`` (a :class:`~desktop_agent.config.secrets.Secrets`), when given, receives any API key found in the
    settings file. ``overrides`` maps each overridden setting ("models.temperature") to the variable that set it.
    """

    def __init__(self, path: Path | None = None, environment: Environment | None = None, secrets: Any = None) -> None:
        self.path = Path(path) if path is not None else paths.config_dir() / paths.SETTINGS_FILE_NAME
        self.environment = environment if environment is not None else Environment.load(config_dir=self.path.parent)
        self.secrets = secrets
        self.overrides: dict[str, str] = {}
        self._raw: dict[str, Any] = {}
        self._from_file = AppSettings()

    # ---------------------------------------------------------------------------------------------- loading
    def load(self) -> tuple[AppSettings, list[str]]:
        """The effective settings and one clear sentence per problem found (an empty list when all is well)."""
        problems: list[str] = []
        raw = self._read_file(problems)
        self._move_secrets_out(raw, problems)
        self._raw = raw
        value_problems: list[str] = []
        settings = self._decode(raw, value_problems)
        problems.extend(_at_most(value_problems, MAX_LISTED_VALUE_PROBLEMS))
        self._from_file = settings.copy()
        problems.extend(self.environment.problems)
        self._apply_environment(settings, problems)
        for problem in problems:
            logger.warning("Settings: {}", problem)
        return settings, problems

    def _read_file(self, problems: list[str]) -> dict[str, Any]:
        try:
            text = read_text_limited(self.path, MAX_SETTINGS_BYTES)
            raw = parse_json_object(text) if text.strip() else {}
        except FileNotFoundError:
            return {}
        except DamagedFile as why:
            return self._set_aside(problems, str(why))
        except OSError as exc:
            problems.append(
                f"The settings file {self.path} could not be read ({error_words(exc)}); the defaults are used "
                "for now and the file is left as it is."
            )
            return {}
        version = raw.get("schema_version", SCHEMA_VERSION)
        if isinstance(version, int) and version > SCHEMA_VERSION:
            problems.append(
                f"The settings file was written by a newer version of Desktop Agent (schema {version}); settings "
                "this version knows are used and the others are kept unchanged."
            )
        return raw

    def _set_aside(self, problems: list[str], why: str) -> dict[str, Any]:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        counter = 1
        while aside.exists():
            counter += 1
            aside = aside.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{counter}")
        try:
            self.path.replace(aside)
        except OSError as exc:
            problems.append(
                f"The settings file {self.path} is damaged ({why}) and could not be moved aside "
                f"({error_words(exc)}); the defaults are used and the file is left as it is."
            )
            return {}
        problems.append(
            f"The settings file was damaged ({why}), so it was moved to {aside} and the default settings are used. "
            "Nothing was deleted: you can copy values back from that file."
        )
        return {}

    def _move_secrets_out(self, raw: dict[str, Any], problems: list[str]) -> None:
        """Move API keys found in the file to :attr:`secrets` and rewrite the file without them.

        Without a ``secrets`` object (or for a secret of no known provider) the value stays in the file, untouched,
        and a problem says what to do: nothing is ever lost.
        """
        found = _extract_secrets(raw)
        moved = False
        for dotted, provider, value in found:
            if provider is not None and self.secrets is not None:
                add_redaction([value])
                where = self.secrets.adopt(provider, value)
                problems.append(
                    f"The settings file held the {provider.display_name} API key (“{dotted}”); settings files are no "
                    f"place for keys, so it was {where} and removed from the file."
                )
                moved = True
                continue
            _put_back(raw, dotted.split("."), value)
            if provider is None:
                problems.append(
                    f"The settings file holds what looks like a secret (“{dotted}”), which Desktop Agent does not "
                    "use; remove it from the file, which is not a safe place for secrets."
                )
            else:
                problems.append(
                    f"The settings file holds the {provider.display_name} API key (“{dotted}”); settings files are "
                    "no place for keys: enter it in Settings > Keys and remove it from the file."
                )
        if moved:
            try:
                self._write(raw)
            except OSError as exc:
                problems.append(
                    f"The settings file {self.path} could not be rewritten without the key ({error_words(exc)}); "
                    "remove the key from the file by hand."
                )

    def _decode(self, raw: dict[str, Any], problems: list[str]) -> AppSettings:
        settings = AppSettings()
        types = schema.field_types(AppSettings)
        for section in dataclasses.fields(AppSettings):
            if section.name not in raw:
                continue
            value = raw[section.name]
            where = f"“{section.name}” in the settings file"
            if not isinstance(value, dict):
                problems.append(f"{where} is not a group of settings; its defaults are used.")
                continue
            tp = types[section.name]
            if schema.is_dict_type(tp):
                setattr(settings, section.name, self._decode_budgets(value, section.name, problems))
            else:
                setattr(settings, section.name, self._decode_section(tp, value, section.name, problems))
        return settings

    @staticmethod
    def _decode_section(cls: type, raw: dict[str, Any], section: str, problems: list[str]) -> Any:
        defaults = cls()
        types = schema.field_types(cls)
        values = {}
        for f in dataclasses.fields(cls):
            if f.name not in raw:
                continue
            rule = _rule(cls, f)
            default = getattr(defaults, f.name)
            try:
                value = schema.decode_json(types[f.name], raw[f.name])
                reason = rule.problem(value)
                if reason:
                    raise Invalid(reason)
            except Invalid as why:
                problems.append(
                    f"Setting “{section}.{f.name}” in the settings file is {_show_raw(raw[f.name])}, which "
                    f"{why}; using the default {_show(default)}."
                )
                continue
            values[f.name] = value
        return dataclasses.replace(defaults, **values)

    @staticmethod
    def _decode_budgets(raw: dict[str, Any], section: str, problems: list[str]) -> dict[Stage, float]:
        budgets = _default_budgets()
        for name, value in raw.items():
            try:
                stage = Stage(name)
            except ValueError:
                problems.append(
                    f"“{section}.{shorten(name, SHOWN_VALUE_LENGTH)}” in the settings file is not a latency "
                    "stage; it is ignored."
                )
                continue
            try:
                seconds = schema.decode_json(float, value)
                reason = BUDGET_RULE.problem(seconds)
                if reason:
                    raise Invalid(reason)
            except Invalid as why:
                problems.append(
                    f"Setting “{section}.{name}” in the settings file is {_show_raw(value)}, which {why}; "
                    f"using the default {_show(budgets[stage])}."
                )
                continue
            budgets[stage] = seconds
        return budgets

    # ---------------------------------------------------------------------------------------------- overrides
    def _apply_environment(self, settings: AppSettings, problems: list[str]) -> None:
        self.overrides = {}
        env = self.environment
        for variable in sorted(env.with_prefix(ENV_PREFIX)):
            parts = variable[len(ENV_PREFIX) :].lower().split("__")
            if len(parts) != 2 or not all(parts):
                self._unknown(variable, problems)
                continue
            self._override(settings, parts[0], parts[1], env.get(variable) or "", variable, problems)
        # The vendor's own address variable, for the provider now playing each role (after the overrides above,
        # which may have chosen it); an explicit DESKTOP_AGENT_PROVIDERS__*_URL wins.
        for role, attribute in _ENDPOINT_FIELDS.items():
            variable = settings.providers.spec(role).url_variable
            text = env.get(variable)
            if text is not None and f"providers.{attribute}" not in self.overrides:
                self._override(settings, "providers", attribute, text, variable, problems)

    def _override(
        self, settings: AppSettings, section: str, name: str, text: str, variable: str, problems: list[str]
    ) -> None:
        section_fields = {f.name: f for f in dataclasses.fields(AppSettings)}
        if section not in section_fields:
            self._unknown(variable, problems)
            return
        origin = self.environment.origin(variable)
        current = getattr(settings, section)
        try:
            if isinstance(current, dict):
                try:
                    stage = Stage(name)
                except ValueError:
                    self._unknown(variable, problems)
                    return
                seconds = schema.decode_text(float, text)
                reason = BUDGET_RULE.problem(seconds)
                if reason:
                    raise Invalid(reason)
                current[stage] = seconds
            else:
                fields_ = {f.name: f for f in dataclasses.fields(current)}
                if name not in fields_:
                    self._unknown(variable, problems)
                    return
                rule = _rule(type(current), fields_[name])
                value = schema.decode_text(schema.field_types(type(current))[name], text)
                reason = rule.problem(value)
                if reason:
                    raise Invalid(reason)
                setattr(settings, section, dataclasses.replace(current, **{name: value}))
        except Invalid as why:
            kept = current.get(Stage(name)) if isinstance(current, dict) else getattr(current, name)
            problems.append(
                f"{variable} (from {origin}) is {text!r}, which {why}; it is ignored and {_show(kept)} is used."
            )
            return
        self.overrides[f"{section}.{name}"] = f"{variable} (from {origin})"

    @staticmethod
    def _unknown(variable: str, problems: list[str]) -> None:
        problems.append(
            f"{variable} does not name a setting, so it is ignored (the form is "
            f"{ENV_PREFIX}<SECTION>__<FIELD>, e.g. {env_name('models', 'temperature')})."
        )

    # ---------------------------------------------------------------------------------------------- saving
    def save(self, settings: AppSettings) -> None:
        """Write ``settings`` atomically. Overridden settings keep their file value; unknown keys are kept."""
        data = schema.encode(settings)
        file_values = schema.encode(self._from_file)
        for dotted in self.overrides:
            section, name = dotted.split(".")
            data[section][name] = file_values[section][name]
        merged = copy.deepcopy(self._raw)
        for section, values in data.items():
            if isinstance(merged.get(section), dict):
                merged[section].update(values)
            else:
                merged[section] = values
        merged["schema_version"] = SCHEMA_VERSION
        self._write(merged)
        self._raw = merged
        applied = copy.deepcopy(settings)
        for dotted in self.overrides:
            section, name = dotted.split(".")
            target = getattr(applied, section)
            if isinstance(target, dict):
                target[Stage(name)] = self._from_file_value(section, name)
            else:
                setattr(applied, section, dataclasses.replace(target, **{name: self._from_file_value(section, name)}))
        self._from_file = applied

    def _from_file_value(self, section: str, name: str) -> Any:
        target = getattr(self._from_file, section)
        return target[Stage(name)] if isinstance(target, dict) else getattr(target, name)

    def _write(self, raw: dict[str, Any]) -> None:
        ordered = {"schema_version": SCHEMA_VERSION, **{k: v for k, v in raw.items() if k != "schema_version"}}
        write_text_atomic(self.path, json.dumps(ordered, indent=2, ensure_ascii=False) + "\n")


def _rule(cls: type, f: dataclasses.Field) -> schema.Rule:
    """A field's rule; :class:`PriceTable` comes from ``state`` and cannot carry metadata, so it gets PRICE_RULE."""
    return PRICE_RULE if cls is PriceTable else schema.rule_of(f)


def _put_back(raw: dict, parts: list[str], value: str) -> None:
    node = raw
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _at_most(problems: list[str], count: int) -> list[str]:
    """``problems`` if there are at most ``count``; else the first ones and a sentence counting the rest."""
    if len(problems) <= count:
        return problems
    listed = problems[: count - 1]
    return [
        *listed,
        f"{len(problems) - len(listed)} more values in the settings file could not be used either; "
        "their defaults are used.",
    ]


def _show_raw(value: Any) -> str:
    """A value from the file as a sentence quotes it: its Python spelling (control characters escaped), cut short."""
    shown = repr(value)
    return shown if len(shown) <= SHOWN_VALUE_LENGTH else shown[: SHOWN_VALUE_LENGTH - 1] + "…"


def _show(value: Any) -> str:
    if value is None:
        return "(system default)"
    if isinstance(value, str):
        return f"“{value}”" if value else "(empty)"
    return schema.encode(value).__repr__() if not isinstance(value, (int, float, bool)) else f"{value}"
