"""The inspection and local-PKI commands: `certificate verify|create`, remote
`certificate inspect https://...` and `crypto keypair`.

`cli.build_parser` calls `add_commands` to register them; each command takes
the same `Context` as the others (two ports, two streams) and fails with a
StepwasmError that `cli.main` turns into one line.
"""

from __future__ import annotations

import argparse
import datetime
import urllib.parse

from . import certinfo
from .crypto import keys
from .csr import build_csr
from .errors import InputError, StorageError, TransportError, VerificationError
from .keyspec import new_key
from .pem import MAX_INPUT_BYTES, load_certificates, to_pem
from .ports import PROFILE, Request, TlsConfig
from .profile import ROOT_PATH
from .userfiles import check_outputs, read_private_key, read_user_file, write_files
from .verify import verify_chain

__all__ = [
    "add_commands",
    "fetch_peer_chain",
    "inspect_url",
    "parse_verify_time",
    "read_input",
]

#: How long `inspect https://...` waits for the server.
REMOTE_TIMEOUT_MS = 15_000

_NO_PASSWORD_HELP = (
    "encrypted private keys are not supported yet: pass --no-password --insecure "
    "to write {what} unencrypted"
)


def add_commands(cert_cmds, top, out) -> None:
    """Register `certificate verify`, `certificate create` and `crypto keypair`."""
    p = cert_cmds.add_parser("verify", help="verify a certificate chain", out=out)
    p.add_argument("file", help="the leaf, then any intermediates (PEM or DER)")
    p.add_argument(
        "--roots",
        default="",
        help="trusted roots (PEM); default: the bootstrapped root",
    )
    p.add_argument("--host", default="", help="a DNS name or IP address to check")
    p.add_argument(
        "--time",
        default="",
        dest="at",
        help="verify at this RFC 3339 time instead of now",
    )
    p.add_argument(
        "--usage",
        default="server",
        help="extended key usage asked of the chain: server, client, "
        "a dotted OID, or none",
    )
    p.set_defaults(run=cmd_verify)

    p = cert_cmds.add_parser(
        "create", help="create a certificate signing request", out=out
    )
    p.add_argument("subject")
    p.add_argument("crt_file", help="where the CSR is written")
    p.add_argument(
        "key_file",
        nargs="?",
        default="",
        help="where the new key is written (not with --key)",
    )
    p.add_argument("--csr", action="store_true", help="make a CSR (required)")
    p.add_argument("--san", action="append", default=[])
    p.add_argument("--key", default="", help="sign with this existing key")
    _add_key_flags(p)
    p.set_defaults(run=cmd_create)

    crypto = top.add_parser("crypto", help="keys", out=out)
    crypto_cmds = crypto.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=cert_cmds._parser_class
    )
    crypto_cmds.required = True
    p = crypto_cmds.add_parser("keypair", help="generate a key pair", out=out)
    p.add_argument("pub_file")
    p.add_argument("priv_file")
    _add_key_flags(p)
    p.set_defaults(run=cmd_keypair)


def _add_key_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kty", default="EC", type=str.upper, choices=["EC", "OKP", "RSA"])
    p.add_argument("--curve", "--crv", default="", dest="curve")
    p.add_argument("--size", default=2048, type=int)
    p.add_argument(
        "--no-password",
        action="store_true",
        help="write the private key unencrypted (needs --insecure)",
    )
    p.add_argument("--insecure", action="store_true")
    p.add_argument("--force", "-f", action="store_true")


# -- helpers ------------------------------------------------------------------


def parse_verify_time(text: str) -> datetime.datetime:
    """An RFC 3339 time (UTC offset required) for `--time`."""
    value = text.strip()
    if len(value) < 20 or value[10] not in "Tt ":
        raise InputError(
            f"--time {text!r}: expected an RFC 3339 time such as 2024-03-01T00:00:00Z"
        )
    try:
        moment = datetime.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InputError(f"--time {text!r}: not a valid RFC 3339 time") from None
    if moment.tzinfo is None:
        raise InputError(f"--time {text!r}: the time needs a UTC offset or Z")
    return moment.astimezone(datetime.UTC)


def read_input(ctx, path: str) -> bytes:
    """A file named on the command line, or standard input for `-`."""
    if path == "-":
        if ctx.read_stdin is None:
            raise InputError("reading from standard input is not supported here")
        # One byte past the limit tells too large from just large enough,
        # without reading an endless stream.
        data = ctx.read_stdin(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise InputError(
                "-: standard input is too large to be a certificate "
                f"(more than {MAX_INPUT_BYTES // (1024 * 1024)} MiB)"
            )
        return data
    return read_user_file(ctx.storage, path, "file")


def _new_key(args) -> keys.PrivateKey:
    return new_key(args.kty, args.curve, args.size)


def _require_unencrypted(args, what: str) -> None:
    # TODO: encrypted private keys (step's PEM encryption or PKCS #8 with
    # PBES2) are not written yet, so an unencrypted key must be asked for.
    if not (args.no_password and args.insecure):
        raise InputError(_NO_PASSWORD_HELP.format(what=what))


def _write_new(ctx, args, files: list[tuple[str, bytes, bool]]) -> None:
    check_outputs(ctx.storage, [path for path, _, _ in files], force=args.force)
    write_files(ctx.storage, files)


def _load_roots(ctx, path: str) -> list:
    if path:
        return load_certificates(
            read_user_file(ctx.storage, path, "--roots"), source=path
        )
    try:
        data = ctx.storage.read(PROFILE, ROOT_PATH)
    except StorageError:
        raise InputError(
            f"--roots is required (no bootstrapped root in {ctx.steppath})"
        ) from None
    return load_certificates(data, source=f"{ctx.steppath}/{ROOT_PATH}")


# -- commands -----------------------------------------------------------------


def cmd_verify(ctx, args) -> int:
    at = parse_verify_time(args.at) if args.at else None
    usage = None if args.usage.lower() == "none" else args.usage
    chain = load_certificates(read_input(ctx, args.file), source=args.file)
    roots = _load_roots(ctx, args.roots)
    try:
        verify_chain(
            chain[0], chain[1:], roots, at=at, host=args.host or None, usage=usage
        )
    except VerificationError as exc:
        raise VerificationError(f"{args.file} does not verify: {exc}") from None
    return 0


def cmd_create(ctx, args) -> int:
    if not args.csr:
        # TODO: self-signed and CA-signed certificates (`--profile`, `--ca`).
        raise InputError("certificate create makes CSRs only for now: add --csr")
    if args.key:
        if args.key_file:
            raise InputError("with --key, leave out KEY_FILE: no new key is made")
        key = read_private_key(ctx.storage, args.key, "--key")
        files = []
    else:
        if not args.key_file:
            raise InputError("certificate create needs KEY_FILE, or --key")
        _require_unencrypted(args, "KEY_FILE")
        key = _new_key(args)
        files = [(args.key_file, key.to_pem(), True)]
    der = build_csr(key, args.subject, args.san)
    _write_new(
        ctx, args, [(args.crt_file, to_pem("CERTIFICATE REQUEST", der), False), *files]
    )
    ctx.say(f"Your certificate signing request has been saved in {args.crt_file}.")
    if files:
        ctx.say(f"Your private key has been saved in {args.key_file}.")
    return 0


def cmd_keypair(ctx, args) -> int:
    _require_unencrypted(args, "PRIV_FILE")
    key = _new_key(args)
    _write_new(
        ctx,
        args,
        [
            (args.pub_file, key.public_key().to_pem(), False),
            (args.priv_file, key.to_pem(), True),
        ],
    )
    ctx.say(f"Your public key has been saved in {args.pub_file}.")
    ctx.say(f"Your private key has been saved in {args.priv_file}.")
    return 0


# -- inspect https://host[:port] ----------------------------------------------


def fetch_peer_chain(ctx, url: str, *, roots_file: str = "", insecure: bool = False):
    """Connect to `url` and return the server's chain, leaf first.

    With `roots_file` the component verifies the chain against those roots
    for the URL's host; with `insecure` nothing is verified; otherwise the
    host verifies against its default roots.
    """
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InputError(f"{url}: bad port") from None
    if parts.scheme != "https" or not parts.hostname:
        raise InputError(f"{url}: expected https://host[:port]")
    roots = _load_roots(ctx, roots_file) if roots_file else []
    tls = TlsConfig(
        roots=(), client_chain=(), client_key=None, verify=not (insecure or roots)
    )
    request = Request(method="HEAD", url=url, tls=tls, timeout_ms=REMOTE_TIMEOUT_MS)
    try:
        response = ctx.transport.send(request)
    except TransportError as exc:
        message = str(exc)
        if exc.cause == "no-roots":  # not the profile's: this is any server
            message = (
                f"{url}: no root to check the server against: this build has no "
                "system trust store; pass --roots FILE, or --insecure"
            )
        raise TransportError(message, method="HEAD", url=url, cause=exc.cause) from None
    if response.runtime_tls:
        raise TransportError(
            f"{url}: the runtime's HTTP client (wasi:http) does not show the "
            "server's certificates; this needs sockets (wasmtime: -S inherit-network)",
            method="HEAD",
            url=url,
            cause="unsupported",
        )
    data = b"".join(to_pem("CERTIFICATE", der) for der in response.peer_chain)
    if not data:
        raise VerificationError(f"{url}: the server presented no certificate")
    chain = load_certificates(data, source=f"{parts.hostname}'s certificate")
    if roots:
        try:
            verify_chain(chain[0], chain[1:], roots, host=parts.hostname)
        except VerificationError as exc:
            raise VerificationError(
                f"{url}: the server's chain does not verify: {exc}"
            ) from None
    return data


def inspect_url(ctx, args) -> str:
    """`certificate inspect https://...`: the text for the server's chain."""
    data = fetch_peer_chain(
        ctx, args.file, roots_file=args.roots, insecure=args.insecure
    )
    fmt = "short" if args.short and args.format == "text" else args.format
    return certinfo.inspect(data, source=args.file, format=fmt, bundle=args.bundle)
