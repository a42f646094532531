"""The benchmark's accounting of speculation (desktop_agent/bench/spend.py): which requests and TTS contexts of a turn
were wasted, the hit rate, the shares and the cost, from records shaped as the simulator host returns them."""

from __future__ import annotations

import pytest

from desktop_agent.bench import goals
from desktop_agent.bench.sim_host import final_text, interim_text
from desktop_agent.bench.spend import account_turn, summarize_spend, turn_records, turn_spends

pytestmark = pytest.mark.bench

FINAL = "What is the weather like in Paris today?"
INTERIM = "What is the weather like in Paris"
REPLY = "You said: What is the weather like in Paris today. This is the simulated assistant answering."
WRONG_REPLY = "You said: What is the weather like in Paris. This is the simulated assistant answering."


def final(at: float, text: str = FINAL) -> dict:
    return {"kind": "stt_reply", "at": at, "data": {"type": "transcript", "is_final": True, "final_text": text}}


def interim(at: float, text: str) -> dict:
    return {"kind": "stt_reply", "at": at, "data": {"type": "transcript", "is_final": False, "interim_text": text}}


def usage(
    arrived: float,
    user_text: str,
    reply: str,
    *,
    prompt: int = 100,
    completion: int = 20,
    generated: int | None = None,
    abandoned: bool = False,
    summary: bool = False,
) -> dict:
    return {
        "kind": "llm_usage",
        "at": arrived + 0.3,
        "data": {
            "arrived": arrived,
            "user_text": user_text,
            "reply_text": reply,
            "summary": summary,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "generated_tokens": completion if generated is None else generated,
            "abandoned": abandoned,
        },
    }


def context(at: float, text: str, ended: str = "completed") -> dict:
    """A context opened 0.1 s before it ended at ``at``."""
    return {
        "kind": "tts_context",
        "at": at,
        "data": {"opened": at - 0.1, "text": text, "chars": len(text), "ended": ended},
    }


def test_a_speculation_on_the_whole_sentence_is_a_hit_and_wastes_nothing():
    spend = account_turn([usage(10.0, FINAL, REPLY), final(10.15), context(10.6, REPLY)])
    assert spend.speculated and spend.hit
    assert spend.requests == 1 and spend.llm_tokens == 120 and spend.wasted_llm_tokens == 0
    assert spend.tts_chars == len(REPLY) and spend.wasted_tts_chars == 0


def test_a_speculation_on_an_interim_without_the_last_word_is_wasted_with_its_prompt():
    spend = account_turn(
        [
            usage(10.0, INTERIM, WRONG_REPLY, generated=0, abandoned=True),  # dropped before its first token
            final(10.15),
            usage(10.16, FINAL, REPLY),
            context(10.7, REPLY),
        ]
    )
    assert spend.speculated and not spend.hit
    assert spend.requests == 2 and spend.abandoned == 1
    assert spend.llm_tokens == 100 + 120 and spend.wasted_llm_tokens == 100 and spend.wasted_completion_tokens == 0
    assert spend.wasted_requests == [INTERIM]
    assert spend.wasted_tts_chars == 0


def test_a_wasted_reply_read_to_the_end_and_spoken_counts_its_tokens_and_characters():
    spend = account_turn(
        [
            usage(10.0, INTERIM, WRONG_REPLY),  # not abandoned: the client read it, then threw it away
            context(10.4, WRONG_REPLY[:30]),  # its first words' held audio, never played (the used reply says them too)
            final(10.5),
            usage(10.5, FINAL, REPLY),
            context(10.9, REPLY),
        ]
    )
    assert spend.speculated and not spend.hit
    assert spend.wasted_llm_tokens == 120 and spend.wasted_completion_tokens == 20
    assert spend.tts_chars == 30 + len(REPLY) and spend.wasted_tts_chars == 30


def test_an_interrupted_context_of_no_used_reply_is_wasted_but_the_used_reply_interrupted_is_not():
    spend = account_turn(
        [
            final(10.0),
            usage(10.1, FINAL, REPLY),
            context(10.3, "Something else entirely.", ended="interrupted"),
            context(10.5, REPLY[:40], ended="interrupted"),
        ]
    )
    assert not spend.speculated and not spend.hit
    assert spend.wasted_tts_chars == len("Something else entirely.")


def test_punctuation_and_case_do_not_make_a_request_wasted_and_summaries_are_left_out():
    spend = account_turn(
        [
            final(10.0, "what is the weather like in paris today"),
            usage(10.1, FINAL, REPLY),
            usage(10.2, "", "A summary.", prompt=500, summary=True),
        ]
    )
    assert spend.requests == 1 and spend.wasted_llm_tokens == 0


def test_records_are_cut_into_turns_at_each_turn_start():
    records = [usage(1.0, "one", "x"), final(1.2, "one"), usage(5.0, "two", "y"), final(4.9, "two")]
    chunks = turn_records([{"started": 0.5}, {"started": 4.0}], records)
    assert [len(c) for c in chunks] == [2, 2]
    spends = turn_spends([{"started": 0.5}, {"started": 4.0}], records)
    assert [s.speculated for s in spends] == [True, False]


def test_summary_shares_hit_rate_and_cost_per_turn():
    hit = account_turn([usage(10.0, FINAL, REPLY), final(10.15), context(10.6, REPLY)])
    miss = account_turn(
        [
            usage(20.0, INTERIM, WRONG_REPLY),
            context(20.4, WRONG_REPLY),
            final(20.5),
            usage(20.5, FINAL, REPLY),
            context(20.9, REPLY),
        ]
    )
    plain = account_turn([final(30.0), usage(30.1, FINAL, REPLY), context(30.5, REPLY)])
    figures = summarize_spend([hit, miss, plain], llm_price_per_million=0.6, tts_price_per_thousand=0.05)
    assert figures["turns"] == 3 and figures["llm_requests"] == 4 and figures["llm_requests_per_turn"] == 1.33
    assert figures["speculated_turns"] == 2 and figures["speculation_hits"] == 1 and figures["hit_rate"] == 0.5
    assert figures["llm_tokens"] == 480 and figures["wasted_llm_tokens"] == 120
    assert figures["wasted_llm_token_pct"] == 25.0
    chars = len(REPLY) * 3 + len(WRONG_REPLY)
    assert figures["tts_chars"] == chars and figures["wasted_tts_chars"] == len(WRONG_REPLY)
    assert figures["wasted_tts_char_pct"] == round(100 * len(WRONG_REPLY) / chars, 1)
    wasted_usd = 120 / 1e6 * 0.6 + len(WRONG_REPLY) / 1e3 * 0.05
    assert figures["wasted_cost_usd_per_turn"] == pytest.approx(wasted_usd / 3, abs=1e-8)
    assert figures["cost_usd_per_turn"] == pytest.approx((480 / 1e6 * 0.6 + chars / 1e3 * 0.05) / 3, abs=1e-8)
    assert figures["wasted_on"] == [INTERIM]


def test_no_turns_and_no_speculation_give_no_rates():
    figures = summarize_spend([], 0.6, 0.05)
    assert figures["hit_rate"] is None and figures["wasted_llm_token_pct"] is None
    assert figures["llm_requests_per_turn"] is None


def test_the_goals_read_the_waste_shares():
    rows = {
        r["path"]: r
        for r in goals.evaluate({"speculation": {"app": {"wasted_llm_token_pct": 16.0, "wasted_tts_char_pct": 3.5}}})
    }
    assert rows["speculation.app.wasted_llm_token_pct"]["met"] is False
    assert rows["speculation.app.wasted_tts_char_pct"]["met"] is True
    assert "16.0 %" in goals.table(list(rows.values())) or "16 %" in goals.table(list(rows.values()))


def test_final_text_of_each_speech_to_text_emulator():
    assert final_text({"type": "transcript", "is_final": True, "text": FINAL}) == FINAL
    assert final_text({"type": "transcript", "is_final": False, "text": INTERIM}) is None
    results = {"type": "Results", "is_final": True, "channel": {"alternatives": [{"transcript": FINAL}]}}
    assert final_text(results) == FINAL
    assert final_text({"type": "data", "data": {"transcript": FINAL}}) == FINAL
    assert final_text({"type": "flush_done"}) is None


def finalize(at: float) -> dict:
    return {"kind": "stt_message", "at": at, "data": "finalize"}


def test_the_interim_at_the_release_says_whether_any_speculation_could_have_hit():
    complete = account_turn([interim(9.5, INTERIM), interim(9.9, FINAL), finalize(10.0), final(10.15)])
    short = account_turn([interim(9.5, "What is"), interim(9.9, INTERIM), finalize(10.0), final(10.15)])
    late = account_turn([interim(9.9, INTERIM), finalize(10.0), interim(10.05, FINAL), final(10.15)])
    silent = account_turn([final(10.15)])
    assert complete.interim_at_release == FINAL and short.interim_at_release == INTERIM
    assert late.interim_at_release == INTERIM and silent.interim_at_release is None
    figures = summarize_spend([complete, short, late, silent, account_turn([])], 0.6, 0.05)
    assert figures["turns_with_final"] == 4 and figures["interim_complete_at_release"] == 1
    assert figures["interim_complete_share"] == 0.25


def test_interim_text_of_each_streaming_emulator():
    assert interim_text({"type": "transcript", "is_final": False, "text": INTERIM}) == INTERIM
    assert interim_text({"type": "transcript", "is_final": True, "text": FINAL}) is None
    results = {"type": "Results", "is_final": False, "channel": {"alternatives": [{"transcript": INTERIM}]}}
    assert interim_text(results) == INTERIM
    assert interim_text({"type": "data", "data": {"transcript": FINAL}}) is None
