"""Fixtures shared by the crypto tests."""

from __future__ import annotations

import pytest
from stepwasm_core.crypto import keys


@pytest.fixture(scope="session")
def rsa_key() -> keys.PrivateKey:
    """One RSA-2048 key from generate_key (pure-Python generation takes seconds)."""
    return keys.generate_key("RSA", size=2048)
