"""Fixtures for the browser host: `stepwasm web` in front of a real step-ca, and
Debian's headless Chromium driven by Playwright.

Chromium comes from Debian (`apt-get install chromium`, see test.sh); the
Playwright package is only the driver: its own browser downloads are never used.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from localca.server import CAServer

# The CA fixtures of the interop tests: `ca` and `make_ca`.
from tests.interop.conftest import ca, make_ca, step_ca_binary  # noqa: F401

CHROMIUM = os.environ.get("STEPWASM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
STEPWASM = Path(sys.executable).parent / "stepwasm"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class WebServer:
    url: str
    port: int
    ca: CAServer
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_web(ca_server: CAServer, *trust: str) -> WebServer:
    """Run `stepwasm web` for `ca_server` and wait until it serves."""
    port = free_port()
    trust_args = list(trust) or ["--fingerprint", ca_server.pki.root_fingerprint]
    log_path = ca_server.pki.directory / f"web-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(STEPWASM),
                "web",
                "--ca-url",
                ca_server.ca_url,
                *trust_args,
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if f"serving http://127.0.0.1:{port}/" in text:
            return WebServer(f"http://127.0.0.1:{port}/", port, ca_server, process)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    server = WebServer("", port, ca_server, process)
    server.stop()
    raise AssertionError("stepwasm web did not start:\n" + log_path.read_text())


@pytest.fixture
def web_server_for() -> Iterator[Callable[..., WebServer]]:
    """Start `stepwasm web` for a CA; stopped (by its pid) after the test."""
    servers: list[WebServer] = []

    def start(ca_server: CAServer, *trust: str) -> WebServer:
        server = start_web(ca_server, *trust)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def web(ca: CAServer, web_server_for) -> WebServer:  # noqa: F811
    return web_server_for(ca)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see test.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile (its own IndexedDB) for one test."""
    context = browser.new_context(viewport={"width": 1280, "height": 820})
    yield context
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
