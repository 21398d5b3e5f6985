"""Keep a certificate fresh: the renewal loop, and TLS contexts that follow it.

`Renewer` is the loop shared by `stepwasm ca renew --daemon` and by
applications: it asks the component when to renew (the schedule lives in the
core), waits on the wall clock, renews through the component, and on failure
keeps the current certificate and retries with backoff. `Rotation` runs a
`Renewer` on a background thread and hands out `ssl.SSLContext`s whose
certificate is replaced after each renewal, so that new connections get the
new certificate while open ones keep theirs.

    with Client(steppath, workdir) as client:
        rotation = Rotation(client, "web.crt", "web.key").start()
        context = rotation.server_context()
        ...
        rotation.stop()
"""

from __future__ import annotations

import logging
import os
import select
import ssl
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from .api import Client, Renewal, RenewFiles
from .errors import CertificateExpired, InputError, StepwasmError
from .storage import StorageFailure

__all__ = [
    "FIRST_RETRY",
    "MAX_RETRY",
    "Renewer",
    "RotatingSSLContext",
    "Rotation",
    "Waker",
    "iso_time",
    "retry_delay",
]

log = logging.getLogger(__name__)

#: The first retry after a failed renewal, in seconds; it doubles from there.
FIRST_RETRY = 60.0
#: The longest wait between two retries.
MAX_RETRY = 600.0
#: The shortest wait between two retries.
MIN_RETRY = 5.0
#: Waits are cut into slices of at most this, each ending with a look at the
#: wall clock: a machine that slept past the renewal time renews on waking
#: (the monotonic clock that timeouts use stops during a suspend).
WAKE_EVERY = 30.0


def retry_delay(
    failures: int,
    not_after: float,
    now: float,
    *,
    first: float = FIRST_RETRY,
    cap: float = MAX_RETRY,
) -> float:
    """Seconds to wait after the `failures`-th failure in a row.

    Doubles from `first` up to `cap`, but a certificate close to its end is
    retried sooner: never later than a third of the time it has left.
    """
    delay = min(first * 2 ** max(failures - 1, 0), cap)
    left = not_after - now
    if left > 0:
        delay = min(delay, left / 3)
    return max(delay, min(MIN_RETRY, first))


class Waker:
    """Sleep that a signal handler or another thread can cut short.

    A pipe rather than a `threading.Event`: writing a byte is safe in a signal
    handler, where taking the lock an Event uses is not. A signal may be
    delivered to any thread, so a process that waits for signals also passes
    `wakeup_fd` to `signal.set_wakeup_fd`: the interpreter then writes to the
    pipe whichever thread got the signal, and the sleeper wakes to run its
    handler.
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    @property
    def wakeup_fd(self) -> int:
        return self._write

    def wake(self) -> None:
        try:
            os.write(self._write, b"\0")
        except (BlockingIOError, OSError):
            pass  # already awake, or closed

    def sleep(self, seconds: float) -> None:
        """Return after `seconds`, or sooner when woken."""
        if seconds > 0:
            try:
                select.select([self._read], [], [], seconds)
            except InterruptedError:
                pass
        try:
            while os.read(self._read, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass


class Renewer:
    """The renewal loop for one certificate file and its key.

    `run()` returns when `stop()` is called, and raises `CertificateExpired`
    when the certificate has expired and the CA will not renew it; any other
    failure is reported to `on_failure` and retried. Files are read and
    written through the client's storage, confined to its work directory.
    """

    def __init__(
        self,
        client: Client,
        files: RenewFiles,
        *,
        on_renewed: Callable[[Renewal], None] | None = None,
        on_failure: Callable[[StepwasmError, float], None] | None = None,
        first_retry: float = FIRST_RETRY,
        max_retry: float = MAX_RETRY,
        wake_every: float = WAKE_EVERY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.files = files
        self.on_renewed = on_renewed
        self.on_failure = on_failure
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.wake_every = wake_every
        self.clock = clock
        #: The certificate in place, once `load()` or a renewal read it.
        self.current: Renewal | None = None
        #: Renewals done, and failures since the last one.
        self.renewals = 0
        self.failures = 0
        self._waker = Waker()
        self._stopping = False
        self._forced = False

    def load(self) -> Renewal:
        """Read the certificate file and ask the core when to renew it."""
        path = self.files.crt_file
        try:
            chain = self.client.storage.read("files", path)
        except StorageFailure as e:
            raise InputError(f"certificate {e.message}") from None
        self.current = self.client.next_renewal(
            chain,
            expires_in=self.files.expires_in,
            renew_period=self.files.renew_period,
        )
        return self.current

    def renew_now(self) -> None:
        """Renew at once (SIGHUP), even while waiting to retry."""
        self._forced = True
        self._waker.wake()

    def stop(self) -> None:
        """Make `run()` return after the current step."""
        self._stopping = True
        self._waker.wake()

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def wakeup_fd(self) -> int:
        """For `signal.set_wakeup_fd`: a signal then ends the current wait."""
        return self._waker.wakeup_fd

    def run(self) -> None:
        """Renew on schedule until stopped."""
        current = self.current or self.load()
        retry_at: float | None = None
        while not self._stopping:
            due = retry_at if retry_at is not None else _seconds(current.renew_at)
            self._wait_until(due)
            if self._stopping:
                break
            self._forced = False
            try:
                renewal = self.client.renew_files(self.files)
            except CertificateExpired:
                raise
            except StepwasmError as e:
                self.failures += 1
                delay = retry_delay(
                    self.failures,
                    _seconds(current.not_after),
                    self.clock(),
                    first=self.first_retry,
                    cap=self.max_retry,
                )
                retry_at = self.clock() + delay
                if self.on_failure is not None:
                    self.on_failure(e, delay)
                continue
            retry_at = None
            self.failures = 0
            self.renewals += 1
            # With an --out file, later renewals start from that file.
            self.files = replace(self.files, crt_file=self.files.target, out_file="")
            self.current = current = renewal
            if self.on_renewed is not None:
                self.on_renewed(renewal)

    def close(self) -> None:
        """Release the wake-up pipe; the renewer cannot run after this."""
        self._waker.close()

    def _wait_until(self, when: float) -> None:
        while not (self._stopping or self._forced):
            left = when - self.clock()
            if left <= 0:
                return
            self._waker.sleep(min(left, self.wake_every))


class RotatingSSLContext(ssl.SSLContext):
    """An `ssl.SSLContext` whose certificate can be replaced while in use.

    OpenSSL copies a context's certificate into each connection when the
    connection object is made (in `_wrap_socket` / `_wrap_bio`); `reload`
    replaces it under a lock that making a connection also takes, so no
    connection starts from a half-replaced context, and connections already
    made keep the certificate they began with.
    """

    def __init__(self, protocol: int = ssl.PROTOCOL_TLS_SERVER) -> None:
        self._swap_lock = threading.Lock()

    def reload(
        self, certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str]
    ) -> None:
        """Load a new certificate chain and key for connections made from now."""
        with self._swap_lock:
            self.load_cert_chain(certfile, keyfile)

    # TODO: these two override private methods of CPython's ssl module (3.11
    # to 3.13 call them from SSLSocket._create and SSLObject._create); if a
    # later Python renames them, reload still works but without the lock.
    def _wrap_socket(self, *args: Any, **kwargs: Any) -> Any:
        with self._swap_lock:
            return super()._wrap_socket(*args, **kwargs)

    def _wrap_bio(self, *args: Any, **kwargs: Any) -> Any:
        with self._swap_lock:
            return super()._wrap_bio(*args, **kwargs)


class Rotation:
    """A certificate kept fresh in the background, and contexts that follow it.

    `crt_file` and `key_file` are paths in the client's work directory; the
    renewed chain replaces `crt_file` atomically. After each renewal every
    context handed out by `server_context()` or `client_context()` loads the
    new certificate (the key stays the same), and `on_renewed` is called.
    """

    def __init__(
        self,
        client: Client,
        crt_file: str,
        key_file: str,
        *,
        expires_in: str = "",
        renew_period: str = "",
        mtls: bool = True,
        on_renewed: Callable[[Renewal], None] | None = None,
        first_retry: float = FIRST_RETRY,
        max_retry: float = MAX_RETRY,
    ) -> None:
        self.client = client
        self.crt_file = crt_file
        self.key_file = key_file
        self._user_on_renewed = on_renewed
        files = RenewFiles(
            crt_file=crt_file,
            key_file=key_file,
            mtls=mtls,
            expires_in=expires_in,
            renew_period=renew_period,
        )
        self.renewer = Renewer(
            client,
            files,
            on_renewed=self._renewed,
            on_failure=self._failed,
            first_retry=first_retry,
            max_retry=max_retry,
        )
        self._contexts: weakref.WeakSet[RotatingSSLContext] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def current(self) -> Renewal:
        """The certificate in place now."""
        current = self.renewer.current
        if current is None:
            current = self.renewer.load()
        return current

    @property
    def cert_path(self) -> Path:
        return self.client.storage.files_root / self.crt_file

    @property
    def key_path(self) -> Path:
        return self.client.storage.files_root / self.key_file

    def start(self) -> Self:
        """Read the certificate and start renewing it on a background thread."""
        if self._thread is not None:
            raise RuntimeError("this rotation is already running")
        current = self.renewer.load()
        log.info(
            "rotating %s: serial %s, notAfter %s, next renewal %s",
            self.crt_file,
            current.serial,
            iso_time(current.not_after),
            iso_time(current.renew_at),
        )
        self._thread = threading.Thread(
            target=self._run, name=f"stepwasm-rotation {self.crt_file}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop renewing; a renewal under way finishes first."""
        self.renewer.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            if not self._thread.is_alive():
                self.renewer.close()
            self._thread = None

    def renew_now(self) -> None:
        """Renew at once instead of waiting for the schedule."""
        self.renewer.renew_now()

    def wait_for_renewal(self, after: int, timeout: float | None = None) -> bool:
        """Wait until more than `after` renewals were made; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self.renewer.renewals > after or self.error is not None,
                timeout,
            )

    def server_context(self) -> ssl.SSLContext:
        """A server-side context holding the current certificate and key."""
        return self._track(RotatingSSLContext(ssl.PROTOCOL_TLS_SERVER))

    def client_context(self, *, trust_profile_root: bool = True) -> ssl.SSLContext:
        """A client-side context (mTLS) presenting the current certificate.

        It trusts the profile's root, unless told not to (then add your own).
        """
        context = RotatingSSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if trust_profile_root:
            context.load_verify_locations(
                cadata=self.client.read_profile().root.decode("ascii")
            )
        return self._track(context)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, context: RotatingSSLContext) -> RotatingSSLContext:
        with self._lock:
            context.reload(self.cert_path, self.key_path)
            self._contexts.add(context)
        return context

    def _run(self) -> None:
        try:
            self.renewer.run()
        except BaseException as e:  # noqa: BLE001 - kept for the owner to see
            self.error = e
            log.error("certificate rotation of %s stopped: %s", self.crt_file, e)
            with self._changed:
                self._changed.notify_all()

    def _renewed(self, renewal: Renewal) -> None:
        with self._changed:
            for context in list(self._contexts):
                try:
                    context.reload(self.cert_path, self.key_path)
                except (ssl.SSLError, OSError) as e:
                    log.error("cannot load the renewed certificate: %s", e)
            self._changed.notify_all()
        for line in renewal.warnings:
            log.warning("%s", line)
        log.info(
            "renewed %s: serial %s, notAfter %s, next renewal %s",
            renewal.subject,
            renewal.serial,
            iso_time(renewal.not_after),
            iso_time(renewal.renew_at),
        )
        if self._user_on_renewed is not None:
            self._user_on_renewed(renewal)

    def _failed(self, error: StepwasmError, delay: float) -> None:
        log.warning(
            "renewing %s failed: %s; keeping the current certificate, "
            "retrying in %.0f s",
            self.crt_file,
            error,
            delay,
        )


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def iso_time(moment: datetime) -> str:
    """A UTC time as step prints it: 2026-12-04T16:00:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
