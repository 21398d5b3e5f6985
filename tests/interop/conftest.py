"""Fixtures that run a real step-ca, built from Debian's packages (``localca``).

``ca`` is one server for the whole session with the default PKI: EC root and
intermediate, and an EC P-256 JWK provisioner named ``Admin JWK`` whose key is
encrypted with the password in ``ca.pki.provisioner_password_file``.
``make_ca(**options)`` starts a fresh server for one test, taking the keyword
arguments of :func:`localca.pki.create_pki` (key types, paging, durations).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localca.pki import create_pki
from localca.server import CAServer, build_step_ca, start_ca

from .impostor import Impostor

MakeCA = Callable[..., CAServer]


@pytest.fixture(scope="session")
def step_ca_binary() -> Path:
    """The step-ca binary, built once (later runs reuse the cached build)."""
    return build_step_ca()


@pytest.fixture(scope="session")
def ca(
    step_ca_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CAServer]:
    """A running step-ca with the default PKI, shared by the session."""
    pki = create_pki(tmp_path_factory.mktemp("ca"))
    with start_ca(pki, step_ca_binary) as server:
        yield server


@pytest.fixture
def make_ca(
    step_ca_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MakeCA]:
    """A factory of running step-cas with other PKI options, stopped after the test."""
    servers: list[CAServer] = []

    def make(**pki_options: Any) -> CAServer:
        pki = create_pki(tmp_path_factory.mktemp("ca"), **pki_options)
        server = start_ca(pki, step_ca_binary)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def impostor(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Starts impostor servers (see `impostor.py`) and stops them after the test."""
    servers: list[Impostor] = []

    def start(root_pem: str) -> str:
        server = Impostor(root_pem, tmp_path)
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.close()
