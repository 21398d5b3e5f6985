"""Fixtures for the X.509 tests."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.unit
