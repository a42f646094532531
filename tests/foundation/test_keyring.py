"""The real Secret Service keyring (gnome-keyring on the test run's D-Bus session)."""

from __future__ import annotations

import uuid

import keyring
import keyring.errors
import pytest


def test_password_round_trip_in_secret_service(secret_service_keyring):
    assert type(keyring.get_keyring()).__module__ == "keyring.backends.SecretService"
    service, user, secret = "desktop-agent-test", f"user-{uuid.uuid4()}", f"s3cret-{uuid.uuid4()}"
    keyring.set_password(service, user, secret)
    assert keyring.get_password(service, user) == secret
    keyring.delete_password(service, user)
    assert keyring.get_password(service, user) is None
    with pytest.raises(keyring.errors.PasswordDeleteError):
        keyring.delete_password(service, user)
