"""The host's renewal pieces that need no CA: backoff, waking, rotating contexts."""

from __future__ import annotations

import datetime
import signal
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from stepwasm_host.api import RenewFiles
from stepwasm_host.daemon import is_daemon_command, signal_number
from stepwasm_host.errors import InputError
from stepwasm_host.rotation import Renewer, RotatingSSLContext, Waker, retry_delay

pytestmark = pytest.mark.host

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("failures", "left", "delay"),
    [
        (1, 86_400, 60),
        (2, 86_400, 120),
        (4, 86_400, 480),
        (5, 86_400, 600),  # capped
        (9, 86_400, 600),
        (1, 60, 20),  # a third of the time left
        (3, 9, 5),  # but never below the floor
        (2, -30, 120),  # expired: plain backoff
    ],
)
def test_retry_delay(failures, left, delay):
    assert retry_delay(failures, NOW + left, NOW) == pytest.approx(delay)


def test_waker_cuts_a_sleep_short_from_a_thread_and_a_signal_handler():
    waker = Waker()
    try:
        started = time.monotonic()
        threading.Timer(0.2, waker.wake).start()
        waker.sleep(10)
        assert time.monotonic() - started < 5  # not the 10 s asked for

        # raise_signal in another thread: the signal reaches that thread, and
        # only the wakeup fd tells the sleeping main thread.
        woken: list[int] = []
        previous = signal.signal(signal.SIGUSR1, lambda signum, _: woken.append(signum))
        previous_fd = signal.set_wakeup_fd(waker.wakeup_fd)
        try:
            started = time.monotonic()
            threading.Timer(0.2, signal.raise_signal, (signal.SIGUSR1,)).start()
            waker.sleep(10)
            assert time.monotonic() - started < 5  # not the 10 s asked for
            assert woken == [signal.SIGUSR1]
        finally:
            signal.set_wakeup_fd(previous_fd)
            signal.signal(signal.SIGUSR1, previous)

        started = time.monotonic()
        waker.sleep(0.3)  # woken twice before, nothing left over
        assert time.monotonic() - started >= 0.25
    finally:
        waker.close()


def test_daemon_command_and_signal_names():
    assert is_daemon_command(["ca", "renew", "a", "b", "--daemon"])
    assert not is_daemon_command(["ca", "renew", "a", "b"])
    assert not is_daemon_command(["ca", "renew", "--daemon", "--help"])
    assert not is_daemon_command(["ca", "token", "--daemon"])
    assert signal_number("SIGHUP") == signal.SIGHUP
    assert signal_number("usr1") == signal.SIGUSR1
    assert signal_number("15") == signal.SIGTERM
    with pytest.raises(InputError, match="--signal SIGNOPE: not a signal"):
        signal_number("SIGNOPE")


# A server whose context is reloaded between and during connections.


def _certificate(key, serial: int, tmp_path) -> str:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / f"{serial}.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


@pytest.fixture
def tls_server(tmp_path):
    """An echo server over a RotatingSSLContext; yields (context, port, paths)."""
    key = ec.generate_private_key(ec.SECP256R1())
    key_path = tmp_path / "server.key"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    certs = {serial: _certificate(key, serial, tmp_path) for serial in (1, 2)}
    context = RotatingSSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.reload(certs[1], key_path)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve_one(conn):
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                while data := tls.recv(1024):
                    tls.sendall(data)
        except (OSError, ssl.SSLError):
            pass

    def accept():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield context, listener.getsockname()[1], certs, key_path
    stop.set()
    listener.close()


def _connect(port: int) -> ssl.SSLSocket:
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    return client.wrap_socket(sock)


def _serial(tls: ssl.SSLSocket) -> int:
    return x509.load_der_x509_certificate(
        tls.getpeercert(binary_form=True)
    ).serial_number


def test_new_connections_get_the_new_certificate_open_ones_keep_theirs(tls_server):
    context, port, certs, key_path = tls_server
    with _connect(port) as old:
        assert _serial(old) == 1
        old.sendall(b"before")
        assert old.recv(1024) == b"before"

        context.reload(certs[2], key_path)

        with _connect(port) as new:
            assert _serial(new) == 2
        old.sendall(b"after")
        assert old.recv(1024) == b"after"
        assert _serial(old) == 1


def test_handshakes_during_reloads_see_one_whole_certificate(tls_server):
    context, port, certs, key_path = tls_server
    seen: list[int] = []
    errors: list[BaseException] = []

    def reloader():
        for i in range(200):
            context.reload(certs[1 + i % 2], key_path)

    def clients():
        for _ in range(40):
            try:
                with _connect(port) as tls:
                    seen.append(_serial(tls))
                    tls.sendall(b"x")
                    assert tls.recv(1) == b"x"
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

    threads = [threading.Thread(target=reloader)] + [
        threading.Thread(target=clients) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seen) == 120
    assert set(seen) <= {1, 2}


def test_a_wait_follows_the_wall_clock_across_a_suspend():
    # The wall clock jumps 1000 s (a suspended laptop) while a slice of the
    # wait runs on the monotonic clock: the wait ends at the next slice.
    wall = iter([NOW, NOW + 1000.0])
    renewer = Renewer(
        None,
        RenewFiles("a.crt", "a.key"),
        wake_every=0.2,
        clock=lambda: next(wall, NOW + 1000.0),
    )
    try:
        started = time.monotonic()
        renewer._wait_until(NOW + 500.0)
        assert time.monotonic() - started < 5  # not the 500 s asked for
    finally:
        renewer.close()
