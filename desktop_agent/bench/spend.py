"""What the turns of a latency run spent at the language model and the speech synthesiser, and how much of it was
wasted on replies nobody heard: the emulators' own accounting, read per turn.

The emulators record every chat request when it ends (``llm_usage``: the last user message, the reply's text, the
prompt's tokens, the reply's tokens generated before the request ended, whether the client abandoned it) and every
TTS context when it ends (``tts_context``: its text and characters, how it ended), and the STT emulators each final
transcript. A turn runs from its start to the next turn's start. In a turn:

* a request is **used** when the client read it to the end and it answers the turn's final transcript (its last user
  message is the final's words); any other request is **wasted** (abandoned, or answering words the user did not end
  up saying: a reply started on an interim that the final then contradicted);
* a context is **wasted** when its words are the start of no used reply that had arrived by the time the context
  opened, and either are the start of a wasted reply or the client interrupted it (its audio was dropped);
* the turn **speculated** when a request arrived before the final transcript was sent, and the speculation **hit**
  when the first such request was used;
* whatever the system under test does, the turn's **interim at the release** (the last interim before it asked for
  the final: the push-to-talk release, or the end of speech hands-free) says the final's words or not: the most any
  speculation on interims could hit.

Tokens count prompt and generated reply tokens alike (providers bill both; a request abandoned before its first token
still had its prompt read), at the catalogue's blended price per million; characters at its price per thousand.
These figures come from the simulator alone, so they hold for any system under test, whatever it counts itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from desktop_agent.bench.stages import asks_to_finalize

_NOT_WORD = re.compile(r"[^\w']+")


def words(text: str) -> list[str]:
    """``text`` as lower-case words without punctuation, for comparing what was said with what was asked."""
    return [w for w in _NOT_WORD.split(text.lower()) if w.strip("'")]


def _starts(head: list[str], whole: list[str]) -> bool:
    """Whether the words ``head`` begin ``whole``, the last of them perhaps cut short (text sent mid-word)."""
    if not head or len(head) > len(whole):
        return False
    return whole[: len(head) - 1] == head[:-1] and whole[len(head) - 1].startswith(head[-1])


@dataclass
class TurnSpend:
    """One turn's requests and contexts, each counted as used or wasted."""

    requests: int = 0
    speculated: bool = False
    hit: bool = False
    abandoned: int = 0
    llm_tokens: int = 0
    wasted_llm_tokens: int = 0
    wasted_completion_tokens: int = 0
    tts_chars: int = 0
    wasted_tts_chars: int = 0
    final: str = ""
    interim_at_release: str | None = None  # the last interim before the first finalize (None: there was none)
    wasted_requests: list[str] = field(default_factory=list)  # the user text each wasted request answered


def account_turn(records: list[dict]) -> TurnSpend:
    """The spend of one turn from its records (``stt_reply`` finals with their ``text``, ``llm_usage``,
    ``tts_context``), each ``{"kind", "at", "data"}``."""
    spend = TurnSpend()
    finals = [
        r for r in records if r["kind"] == "stt_reply" and isinstance(r["data"], dict) and r["data"].get("final_text")
    ]
    final_at = finals[-1]["at"] if finals else math.inf
    spend.final = " ".join(r["data"]["final_text"] for r in finals)
    said = words(spend.final)
    release = min(
        [r["at"] for r in records if r["kind"] == "stt_message" and asks_to_finalize(r["data"])]
        + [finals[0]["at"] if finals else math.inf]
    )
    interims = [
        r["data"]["interim_text"]
        for r in records
        if r["kind"] == "stt_reply"
        and isinstance(r["data"], dict)
        and r["data"].get("interim_text")
        and r["at"] < release
    ]
    spend.interim_at_release = interims[-1] if interims and finals else None
    requests = sorted(
        (r["data"] for r in records if r["kind"] == "llm_usage" and not r["data"].get("summary")),
        key=lambda usage: usage.get("arrived", 0.0),
    )
    used_replies: list[tuple[float, list[str]]] = []  # (when its request arrived, its words)
    wasted_replies: list[list[str]] = []
    for usage in requests:
        spent = usage["prompt_tokens"] + usage["generated_tokens"]
        used = not usage["abandoned"] and words(usage["user_text"]) == said
        spend.requests += 1
        spend.abandoned += bool(usage["abandoned"])
        spend.llm_tokens += spent
        reply = words(usage.get("reply_text") or "")
        if used:
            used_replies.append((usage.get("arrived", 0.0), reply))
        else:
            wasted_replies.append(reply)
            spend.wasted_llm_tokens += spent
            spend.wasted_completion_tokens += usage["generated_tokens"]
            spend.wasted_requests.append(usage["user_text"])
    early = [usage for usage in requests if usage.get("arrived", math.inf) < final_at]
    spend.speculated = bool(early) and bool(finals)
    spend.hit = spend.speculated and not early[0]["abandoned"] and words(early[0]["user_text"]) == said
    for record in records:
        if record["kind"] != "tts_context":
            continue
        context = record["data"]
        spoken = words(context["text"])
        spend.tts_chars += context["chars"]
        opened = context.get("opened", math.inf)
        for_used = any(_starts(spoken, reply) and arrived <= opened for arrived, reply in used_replies)
        for_wasted = any(_starts(spoken, reply) for reply in wasted_replies)
        if not for_used and (for_wasted or context["ended"] == "interrupted"):
            spend.wasted_tts_chars += context["chars"]
    return spend


def turn_records(turns: list[dict], records: list[dict]) -> list[list[dict]]:
    """``records`` cut into turns: from each turn's ``started`` to the next one's (the last to the end)."""
    starts = [t["started"] for t in turns]
    ends = [*starts[1:], math.inf]
    return [[r for r in records if start <= r["at"] < end] for start, end in zip(starts, ends, strict=True)]


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole > 0 else None


def summarize_spend(spends: list[TurnSpend], llm_price_per_million: float, tts_price_per_thousand: float) -> dict:
    """The figures the report shows for a run of turns: requests per turn, hit rate, totals, waste and its cost."""
    n = len(spends)
    llm_tokens = sum(s.llm_tokens for s in spends)
    wasted_tokens = sum(s.wasted_llm_tokens for s in spends)
    tts_chars = sum(s.tts_chars for s in spends)
    wasted_chars = sum(s.wasted_tts_chars for s in spends)
    speculated = sum(s.speculated for s in spends)
    with_final = [s for s in spends if s.final]
    complete = sum(
        s.interim_at_release is not None and words(s.interim_at_release) == words(s.final) for s in with_final
    )
    hits = sum(s.hit for s in spends)
    llm_cost = wasted_tokens / 1e6 * llm_price_per_million
    tts_cost = wasted_chars / 1e3 * tts_price_per_thousand
    total_cost = llm_tokens / 1e6 * llm_price_per_million + tts_chars / 1e3 * tts_price_per_thousand

    def per_turn(value: float, digits: int = 1) -> float | None:
        return round(value / n, digits) if n else None

    return {
        "turns": n,
        "llm_requests": sum(s.requests for s in spends),
        "llm_requests_per_turn": per_turn(sum(s.requests for s in spends), 2),
        "abandoned_requests": sum(s.abandoned for s in spends),
        "turns_with_final": len(with_final),
        "interim_complete_at_release": complete,
        "interim_complete_share": round(complete / len(with_final), 2) if with_final else None,
        "speculated_turns": speculated,
        "speculation_hits": hits,
        "hit_rate": round(hits / speculated, 2) if speculated else None,
        "llm_tokens": llm_tokens,
        "wasted_llm_tokens": wasted_tokens,
        "wasted_completion_tokens": sum(s.wasted_completion_tokens for s in spends),
        "wasted_llm_token_pct": _pct(wasted_tokens, llm_tokens),
        "wasted_llm_tokens_per_turn": per_turn(wasted_tokens),
        "tts_chars": tts_chars,
        "wasted_tts_chars": wasted_chars,
        "wasted_tts_char_pct": _pct(wasted_chars, tts_chars),
        "wasted_tts_chars_per_turn": per_turn(wasted_chars),
        "wasted_llm_cost_usd_per_turn": per_turn(llm_cost, 8),
        "wasted_tts_cost_usd_per_turn": per_turn(tts_cost, 8),
        "wasted_cost_usd_per_turn": per_turn(llm_cost + tts_cost, 8),
        "cost_usd_per_turn": per_turn(total_cost, 8),
        "wasted_on": [text for s in spends for text in s.wasted_requests][:20],
        "source": "the simulator's records (llm_usage, tts_context, STT finals)",
    }


def turn_spends(turns: list[dict], records: list[dict]) -> list[TurnSpend]:
    """A latency phase's turns (``started`` stamps) accounted against the simulator's records of the same run."""
    return [account_turn(chunk) for chunk in turn_records(turns, records)]
