"""Drives the stepwasm page the way a user and an embedder do."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from playwright.sync_api import Page

#: The component is large: compiling it on a busy 2-core machine takes a while.
LOAD_TIMEOUT_MS = 180_000
COMMAND_TIMEOUT_MS = 120_000


class WebPage:
    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.console_errors: list[str] = []
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def open(self) -> None:
        self.page.goto(self.url)
        self.wait_ready()

    def reload(self) -> None:
        self.page.reload()
        self.wait_ready()

    def wait_ready(self) -> None:
        self.page.wait_for_selector(
            "body[data-ready]", state="attached", timeout=LOAD_TIMEOUT_MS
        )
        state = self.page.get_attribute("body", "data-ready")
        assert state == "true", f"the page did not start:\n{self.terminal_text()}"

    def commands_done(self) -> int:
        return int(self.page.get_attribute("body", "data-commands") or 0)

    def type_line(self, line: str) -> None:
        self.page.click("#terminal")
        self.page.keyboard.type(line)
        self.page.keyboard.press("Enter")

    def command(self, line: str, *, password: str | None = None) -> str:
        """Type a command, answer its password prompt; return what it printed."""
        before = self.terminal_text()
        done = self.commands_done()
        self.type_line(line)
        if password is not None:
            self.wait_for(
                lambda: re.search(r"Password for [^\n]*: *$", self.terminal_text()),
                "the password prompt",
            )
            self.page.keyboard.type(password)
            self.page.keyboard.press("Enter")
        self.page.wait_for_selector(
            f'body[data-commands="{done + 1}"]',
            state="attached",
            timeout=COMMAND_TIMEOUT_MS,
        )
        after = self.terminal_text()
        return after.removeprefix(before)

    def wait_for(
        self, condition: Callable[[], object], what: str, timeout: float = 120
    ) -> object:
        """Poll `condition` (the page's CSP forbids Playwright's own polling)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}:\n{self.terminal_text()}")

    def terminal_text(self) -> str:
        return self.page.evaluate("() => window.stepwasm.terminalText()")

    def run(self, args: list[str]) -> dict:
        return self.page.evaluate("(args) => window.stepwasm.run(args)", args)

    def read_file(self, path: str) -> bytes:
        data = self.page.evaluate(
            "(p) => window.stepwasm.readFile(p).then((b) => Array.from(b))", path
        )
        return bytes(data)

    def write_file(self, path: str, text: str) -> None:
        self.page.evaluate("([p, t]) => window.stepwasm.writeFile(p, t)", [path, text])

    def files(self) -> dict[str, dict]:
        listed = self.page.evaluate("() => window.stepwasm.listFiles()")
        return {entry["path"]: entry for entry in listed}

    def timings(self) -> dict:
        return self.page.evaluate("() => window.stepwasm.timings")
