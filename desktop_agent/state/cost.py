"""Price table and cost meter: provider usage times price, in US dollars."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Prices in USD, one per role. Defaults are the default providers' list prices (each provider's own are in its
    spec, and choosing it puts them here); all editable in settings."""

    stt_per_audio_hour: float = 0.13
    llm_per_million_tokens: float = 0.60  # input and output tokens alike
    tts_per_thousand_characters: float = 0.05


class _Usage(Protocol):
    llm_prompt_tokens: int
    llm_completion_tokens: int
    tts_characters: int
    stt_audio_seconds: float


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    stt: float
    llm: float
    tts: float

    @property
    def total(self) -> float:
        return self.stt + self.llm + self.tts


class CostMeter:
    def __init__(self, prices: PriceTable) -> None:
        self.prices = prices

    def breakdown(self, usage: _Usage) -> CostBreakdown:
        p = self.prices
        return CostBreakdown(
            stt=usage.stt_audio_seconds / 3600.0 * p.stt_per_audio_hour,
            llm=(usage.llm_prompt_tokens + usage.llm_completion_tokens) / 1e6 * p.llm_per_million_tokens,
            tts=usage.tts_characters / 1000.0 * p.tts_per_thousand_characters,
        )

    def total(self, usage: _Usage) -> float:
        return self.breakdown(usage).total
