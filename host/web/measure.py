"""Print the page's load size and time to the first prompt, as a browser sees them.

Usage: .venv/bin/python host/web/measure.py http://127.0.0.1:PORT/ [RUNS]

Each run opens the page in a fresh headless Chromium profile (Debian's
/usr/bin/chromium, no cache) and waits for the terminal's prompt; the bytes are
the response bodies as sent (compressed), the time is from navigation start to
the prompt (`window.stepwasm.timings.firstPromptMs`). Figures to report, not a
test (tests/browser checks the behaviour).
"""

from __future__ import annotations

import statistics
import sys

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> int:
    url = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    sizes, prompts, encodings = [], [], set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=ARGS
        )
        for _ in range(runs):
            context = browser.new_context()
            responses = []
            # A bound method is not accepted as a Playwright handler.
            context.on(
                "response", lambda response, seen=responses: seen.append(response)
            )
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector(
                "body[data-ready]", state="attached", timeout=180_000
            )
            prompts.append(page.evaluate("() => window.stepwasm.timings.firstPromptMs"))
            total = 0
            names = {response.url.rsplit("/", 1)[-1] for response in responses}
            assert "stepwasm.core.wasm" in names, sorted(names)
            for response in responses:
                headers = response.headers
                total += int(headers.get("content-length", "0"))
                encodings.add(headers.get("content-encoding", "identity"))
            sizes.append(total)
            context.close()
        browser.close()
    print(f"runs: {runs}; content encodings served: {', '.join(sorted(encodings))}")
    print(f"transferred: {statistics.median(sizes) / 1048576:.2f} MiB (median)")
    print(
        f"time to first prompt: {statistics.median(prompts) / 1000:.2f} s (median; "
        f"min {min(prompts) / 1000:.2f} s, max {max(prompts) / 1000:.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
