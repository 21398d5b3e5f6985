"""The page in headless Chromium against `stepwasm web` and a real step-ca:
the commands of the command line typed into the terminal, the masked password
prompt, the file tree, persistence across a reload, and automatic rotation.
"""

from __future__ import annotations

import time

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .webpage import WebPage

PASSWORD_PROMPT = "Password for pass.txt (not stored): "


def _leaf(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificates(pem)[0]


def _public(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )


def test_bootstrap_certificate_inspect_renew_reload(web, context, artifacts):
    ca = web.ca
    page = WebPage(context.new_page(), web.url)
    page.open()
    assert page.timings()["firstPromptMs"] > 0
    assert f"ca bootstrap --ca-url {ca.ca_url} --fingerprint" in page.terminal_text()

    out = page.command(
        f"ca bootstrap --ca-url {ca.ca_url} --fingerprint {ca.pki.root_fingerprint}"
    )
    assert "certs/root_ca.crt" in out
    assert page.read_file("certs/root_ca.crt") == ca.pki.root_cert.read_bytes()

    # The provisioner password is asked for, masked, and never stored.
    password = ca.pki.provisioner_password.decode()
    out = page.command(
        'ca certificate web.internal web.crt web.key --provisioner "Admin JWK" '
        "--password-file pass.txt --san web.internal",
        password=password,
    )
    assert PASSWORD_PROMPT + "*" * len(password) in out
    assert password not in page.terminal_text()
    assert "Certificate: web.crt" in out
    files = page.files()
    assert "pass.txt" not in files
    assert files["web.key"]["secret"] is True
    issued = _leaf(page.read_file("web.crt"))
    assert issued.subject.rfc4514_string() == "CN=web.internal"
    assert (
        issued.issuer
        == x509.load_pem_x509_certificate(ca.pki.intermediate_cert.read_bytes()).subject
    )

    out = page.command("certificate inspect web.crt")
    assert f"Serial Number: {issued.serial_number}" in out
    assert "Subject: CN=web.internal" in out

    # notAfter has whole seconds: let one pass so the renewal's is later.
    time.sleep(1.1)
    out = page.command("ca renew web.crt web.key --mtls=false")
    assert "Your certificate has been saved in web.crt." in out
    renewed = _leaf(page.read_file("web.crt"))
    assert _public(renewed) == _public(issued)
    assert renewed.serial_number != issued.serial_number
    assert renewed.not_valid_after_utc > issued.not_valid_after_utc

    # The tree shows the files; a key is never shown, a certificate is shown
    # inspected.
    key_pem = page.read_file("web.key")
    page.page.click('#files button[data-path="web.key"]')
    page.page.wait_for_selector("#viewer:not([hidden])")
    page.wait_for(
        lambda: "not shown" in page.page.inner_text("#viewer-body"), "the key viewer"
    )
    body = page.page.inner_text("#viewer-body")
    key_lines = key_pem.decode().splitlines()
    assert not any(line in body for line in key_lines[1:-1])
    with page.page.expect_download() as download:
        page.page.click("#download")
    assert download.value.suggested_filename == "web.key"
    page.page.click('#files button[data-path="web.crt"]')
    page.wait_for(
        lambda: str(renewed.serial_number) in page.page.inner_text("#viewer-body"),
        "the inspected certificate in the viewer",
    )

    # The rotation panel took the certificate on.
    row = page.page.wait_for_selector('#rotation-list li[data-crt="web.crt"]')
    assert str(renewed.serial_number) in row.inner_text()

    page.page.screenshot(path=str(artifacts / "browser-flow.png"))

    # A reload keeps every file (IndexedDB).
    before = {path: page.read_file(path) for path in page.files()}
    page.reload()
    assert set(page.files()) == {
        "certs/root_ca.crt",
        "config/defaults.json",
        "web.crt",
        "web.key",
    }
    assert {path: page.read_file(path) for path in before} == before
    assert "Bootstrapped" in page.terminal_text()
    assert page.run(["ca", "health"]) == {"exitCode": 0, "stdout": "ok\n", "stderr": ""}

    page.page.screenshot(path=str(artifacts / "browser-reload.png"))
    assert page.console_errors == []


def test_rotation_panel_renews_a_short_lived_certificate(
    make_ca, web_server_for, context, artifacts
):
    ca = make_ca(default_duration="45s")
    web = web_server_for(ca, "--root", str(ca.pki.root_cert))
    page = WebPage(context.new_page(), web.url)
    page.open()
    page.command(
        f"ca bootstrap --ca-url {ca.ca_url} --fingerprint {ca.pki.root_fingerprint}"
    )
    # The `password` command stores a password file, asked for masked.
    password = ca.pki.provisioner_password.decode()
    page.type_line("password pass.txt")
    page.wait_for(
        lambda: page.terminal_text().rstrip().endswith("Password for pass.txt:"),
        "the password prompt",
    )
    done = page.commands_done()
    page.page.keyboard.type(password)
    page.page.keyboard.press("Enter")
    page.wait_for(
        lambda: page.terminal_text().rstrip().endswith("Again:"), "the second prompt"
    )
    page.page.keyboard.type(password)
    page.page.keyboard.press("Enter")
    page.wait_for(lambda: page.commands_done() > done, "the password command")
    assert page.read_file("pass.txt") == password.encode()
    assert page.files()["pass.txt"]["secret"] is True

    page.command(
        'ca certificate short.internal short.crt short.key --provisioner "Admin JWK" '
        "--password-file pass.txt"
    )
    first = _leaf(page.read_file("short.crt"))
    lifetime = first.not_valid_after_utc - first.not_valid_before_utc
    assert lifetime.total_seconds() == 45 + 60  # step-ca backdates by a minute

    row = '#rotation-list li[data-crt="short.crt"]'
    page.page.wait_for_selector(row)
    # The core's schedule (api.next-renewal), not the page's fallback rule.
    assert "(core schedule)" in page.page.inner_text(row)
    page.wait_for(
        lambda: int(page.page.get_attribute(row, "data-renewals")) >= 1,
        "the automatic renewal",
        timeout=150,
    )
    renewed = _leaf(page.read_file("short.crt"))
    assert renewed.serial_number != first.serial_number
    assert _public(renewed) == _public(first)
    assert renewed.not_valid_after_utc > first.not_valid_after_utc
    text = page.terminal_text()
    assert "[rotation] renewing short.crt" in text
    assert f"-> {renewed.serial_number}" in text
    page.page.screenshot(path=str(artifacts / "browser-rotation.png"))
    assert page.console_errors == []


def test_errors_show_as_one_line(web, context):
    ca = web.ca
    page = WebPage(context.new_page(), web.url)
    page.open()

    def one_line(command: str) -> str:
        out = page.command(command)
        lines = [line for line in out.splitlines() if line.strip()]
        # The command as typed (it may wrap), then exactly one line of error.
        assert lines[-1].startswith("stepwasm$"), out
        error = lines[-2]
        assert error.startswith(("stepwasm: ", "error: ")), out
        return error

    assert "bootstrap" in one_line("ca health")
    assert one_line('ca token "unterminated') == 'stepwasm: unterminated " quote'
    # The page's http import reaches the gateway's CA only.
    error = one_line(
        "ca bootstrap --ca-url https://127.0.0.1:1 "
        f"--fingerprint {ca.pki.root_fingerprint}"
    )
    assert f"this page reaches only the CA at {ca.ca_url}" in error
    error = one_line(f"ca bootstrap --ca-url {ca.ca_url} --fingerprint {'ab' * 32}")
    assert "404" in error or "fingerprint" in error
    assert "certs/root_ca.crt" not in page.files()
    assert page.page.get_attribute("body", "data-ready") == "true"

    # History: the up arrow brings back the last command, which runs again.
    page.page.keyboard.press("ArrowUp")
    page.page.keyboard.press("ArrowUp")
    page.page.keyboard.press("ArrowDown")
    page.wait_for(
        lambda: page.terminal_text().endswith(f"--fingerprint {'ab' * 32}"),
        "the recalled command",
    )
    done = page.commands_done()
    page.page.keyboard.press("Enter")
    page.wait_for(lambda: page.commands_done() > done, "the recalled command's run")
    assert page.terminal_text().count(f"--fingerprint {'ab' * 32}") == 2
    assert page.console_errors == []
