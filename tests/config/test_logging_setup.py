"""configure_logging: one file + stderr for loguru and stdlib logging, with keys redacted everywhere."""

from __future__ import annotations

import logging

from loguru import logger

from desktop_agent.config.logging_setup import REDACTED, add_redaction, configure_logging, redact


def test_loguru_and_stdlib_share_one_file_and_stderr(tmp_path, capsys, restore_logging):
    log_file = configure_logging("INFO", log_dir=tmp_path)
    logger.info("from loguru")
    logger.debug("too detailed for INFO")
    logging.getLogger("pipecat.something").warning("from stdlib %d", 42)
    text = log_file.read_text()
    assert log_file.name == "desktop-agent.log"
    assert "INFO     | tests.config.test_logging_setup:" in text and "| from loguru" in text
    assert "WARNING  | " in text and "| from stdlib 42" in text
    assert "too detailed" not in text
    err = capsys.readouterr().err
    assert "from loguru" in err and "from stdlib 42" in err


def test_keys_added_later_are_redacted_in_file_and_stderr(tmp_path, capsys, restore_logging):
    log_file = configure_logging("DEBUG", log_dir=tmp_path)
    key = "sk-late-added-key-0001"
    logger.info("before: {}", key)  # not registered yet and not in a credential field: logged as is
    add_redaction([key])
    logger.info("after: {}", key)
    try:
        raise RuntimeError(f"provider rejected {key}")
    except RuntimeError:
        logger.exception("failure")
    text = log_file.read_text()
    assert f"before: {key}" in text  # proves the file really receives unregistered text
    assert f"after: {REDACTED}" in text
    assert f"RuntimeError: provider rejected {REDACTED}" in text
    assert text.count(key) == 1
    assert capsys.readouterr().err.count(key) == 1


def test_credential_fields_are_redacted_even_when_the_key_was_never_registered():
    assert redact("{'xi-api-key': 'abcdef123', 'Accept': 'json'}") == "{'xi-api-key': '[redacted]', 'Accept': 'json'}"
    assert redact("Authorization: Bearer qwerty-9876") == "Authorization: Bearer [redacted]"
    assert redact("GET /stt?api_key=zz99zz99&model=ink") == "GET /stt?api_key=[redacted]&model=ink"
    assert redact('"X-API-Key": "k-1234567"') == '"X-API-Key": "[redacted]"'
    assert redact("sent bearer abcdefghij to proxy") == "sent bearer [redacted] to proxy"
    assert redact("max_tokens: 150, prompt_tokens=20") == "max_tokens: 150, prompt_tokens=20"


def test_short_values_are_not_registered_so_ordinary_words_survive():
    add_redaction(["the", ""])
    assert redact("the key is fine") == "the key is fine"
