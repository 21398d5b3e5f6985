"""An HTTPS server on 127.0.0.1 whose certificate rotates under live connections.

    .venv/bin/python examples/https_rotation.py --ca-url https://127.0.0.1:9000 \\
        --fingerprint 4a2b...c9 --provisioner "Admin JWK" \\
        --password-file pass.txt --port 8443

It bootstraps trust in the CA, gets a certificate for 127.0.0.1 and localhost
with a lifetime of a few minutes, and serves it with the standard library's
HTTP server. A `stepwasm_host.Rotation` renews it in the background; the
server's SSL context comes from the rotation, so every new connection gets
the current certificate while connections already open keep theirs. Each
page says which certificate served it. Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
import ssl
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from stepwasm_host import Client, Renewal, Rotation, StepwasmError
from stepwasm_host.rotation import iso_time

CRT_FILE = "server.crt"
KEY_FILE = "server.key"


class Handler(BaseHTTPRequestHandler):
    """Says hello and which certificate is the current one."""

    protocol_version = "HTTP/1.1"  # keep-alive: connections outlive a rotation

    def do_GET(self) -> None:
        current = self.server.rotation.current
        data = f"hello; the current certificate's serial is {current.serial}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        logging.getLogger("https_rotation").debug(format, *args)


class RotatingHTTPSServer(ThreadingHTTPServer):
    """The TLS handshake happens in each connection's thread, not in accept()."""

    daemon_threads = True

    def __init__(self, address, handler, context: ssl.SSLContext, rotation: Rotation):
        super().__init__(address, handler)
        self.context = context
        self.rotation = rotation

    def finish_request(self, request, client_address) -> None:
        request.settimeout(30)
        tls = self.context.wrap_socket(request, server_side=True)
        self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        logging.getLogger("https_rotation").info(
            "connection from %s:%s failed: %s", *client_address[:2], error
        )


def _say(line: str) -> None:
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ca-url", required=True)
    parser.add_argument("--fingerprint", required=True)
    parser.add_argument("--provisioner", required=True)
    parser.add_argument("--password-file", required=True, type=Path)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument(
        "--not-after", default="5m", help="the certificate's lifetime (default 5m)"
    )
    parser.add_argument(
        "--renew-period",
        default="",
        help="renew this long after issuance (default: 2/3)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where the certificate and key live (default: temp)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("stepwasm_host.http").setLevel(logging.WARNING)  # per request

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="https-rotation-"))
    try:
        return _serve(args, workdir)
    except KeyboardInterrupt:  # Ctrl-C before the server runs
        return 130
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _serve(args: argparse.Namespace, workdir: Path) -> int:
    workdir.mkdir(parents=True, exist_ok=True)
    password = args.password_file.read_bytes().rstrip(b"\r\n")
    stop = threading.Event()
    try:
        with Client(steppath=workdir / "step", workdir=workdir) as client:
            client.bootstrap(args.ca_url, args.fingerprint, force=True)
            issued = client.certificate(
                "127.0.0.1",
                sans=["127.0.0.1", "localhost"],
                provisioner=args.provisioner,
                password=password,
                not_after=args.not_after,
            )
            client.storage.write("files", CRT_FILE, issued.chain, secret=False)
            client.storage.write("files", KEY_FILE, issued.key, secret=True)

            def renewed(renewal: Renewal) -> None:
                _say(
                    f"renewed: serial {renewal.serial}, notAfter "
                    f"{iso_time(renewal.not_after)}, next renewal "
                    f"{iso_time(renewal.renew_at)}"
                )

            rotation = Rotation(
                client,
                CRT_FILE,
                KEY_FILE,
                renew_period=args.renew_period,
                on_renewed=renewed,
            )
            with rotation:
                context = rotation.server_context()
                server = RotatingHTTPSServer(
                    ("127.0.0.1", args.port), Handler, context, rotation
                )
                current = rotation.current
                _say(
                    f"serving https://127.0.0.1:{args.port}/ with serial "
                    f"{current.serial}, notAfter {iso_time(current.not_after)}, "
                    f"next renewal {iso_time(current.renew_at)} "
                    f"(root: {workdir / 'step' / 'certs' / 'root_ca.crt'})"
                )
                for signum in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(signum, lambda *_: stop.set())
                thread = threading.Thread(target=server.serve_forever, daemon=True)
                thread.start()
                stop.wait()
                server.shutdown()
                server.server_close()
    except StepwasmError as e:
        print(f"https_rotation: {e}", file=sys.stderr)
        return 1
    _say("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
