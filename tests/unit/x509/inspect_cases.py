"""What the inspection tests check, shared by the native and component runs.

`outputs(run, vector)` runs `certificate inspect` in the three layouts through
any runner; `normalize` masks what a random signature changes; goldens live
in `golden/` and are rewritten with STEPWASM_UPDATE_GOLDENS=1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from .vectors import Vector

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = bool(os.environ.get("STEPWASM_UPDATE_GOLDENS"))
LAYOUTS = {"text": ".txt", "short": ".short.txt", "json": ".json"}

#: Bad inputs (file name, bytes maker) and the one line each must give.
MALFORMED_ERRORS = {
    "truncated.der": "truncated.der: not a certificate: insufficient data - ",
    "bad-base64.pem": "bad-base64.pem: bad base64 in PEM block 1",
    "wrong-label.pem": (
        "wrong-label.pem: PEM block 1 has label 'PUBLIC KEY', expected CERTIFICATE"
    ),
    "empty.pem": "empty.pem: empty file",
    "noise.bin": "noise.bin: no PEM block found",
    "big-noise.bin": (
        "big-noise.bin: 10485760 bytes is too large to be a certificate (at most 2 MiB)"
    ),
}


def write_malformed(vectors: Path, target: Path, *, big: bool = True) -> None:
    """Write the malformed inputs into `target`, made from the vector files."""
    target.mkdir(parents=True, exist_ok=True)
    leaf_der = (vectors / "leaf.der").read_bytes()
    root_pem = (vectors / "root.pem").read_bytes()
    (target / "truncated.der").write_bytes(leaf_der[:300])
    lines = root_pem.splitlines(keepends=True)
    lines[2] = b"!!" + lines[2][2:]
    (target / "bad-base64.pem").write_bytes(b"".join(lines))
    (target / "wrong-label.pem").write_bytes(
        root_pem.replace(b"CERTIFICATE", b"PUBLIC KEY")
    )
    (target / "empty.pem").write_bytes(b"")
    # Noise that starts with a byte other than SEQUENCE's, as from /dev/urandom.
    noise = bytes((i * 7919 + 13) % 251 for i in range(4096))
    (target / "noise.bin").write_bytes(b"\x99" + noise)
    if big:
        (target / "big-noise.bin").write_bytes((noise * 2561)[: 10 * 1024 * 1024])
    (target / "root.pem").write_bytes(root_pem)
    (target / "request.csr").write_bytes((vectors / "request.csr").read_bytes())


def arguments(vector: Vector, layout: str) -> list[str]:
    argv = ["certificate", "inspect", vector.file]
    if layout == "short":
        argv.append("--short")
    elif layout == "json":
        argv += ["--format", "json"]
    if vector.kind == "bundle":
        argv.append("--bundle")
    return argv


def normalize(vector: Vector, layout: str, text: str) -> str:
    """Mask the parts a random signature changes (RSA-PSS salt)."""
    if not vector.random_signature:
        return text
    if layout == "json":
        described = json.loads(text)
        described["signature"]["value"] = "<random signature>"
        described["fingerprint_sha1"] = "<depends on the signature>"
        described["fingerprint_sha256"] = "<depends on the signature>"
        return json.dumps(described, indent=2) + "\n"
    if layout == "text":
        head, marker, _ = text.rpartition("\n    Signature Algorithm: ")
        algorithm = _.split("\n", 1)[0]
        return f"{head}{marker}{algorithm}\n         <random signature>\n"
    return text


def check_golden(vector: Vector, layout: str, output: str) -> None:
    path = GOLDEN / f"{vector.name}{LAYOUTS[layout]}"
    output = normalize(vector, layout, output)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(output, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run with STEPWASM_UPDATE_GOLDENS=1"
    assert output == path.read_text(encoding="utf-8"), f"{vector.name} {layout}"


Runner = Callable[[list[str]], tuple[int, str, str]]
