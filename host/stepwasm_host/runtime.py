"""Load the component once per process and run it with our two ports.

`Runtime` owns the engine, the compiled component and the linker. Compiling
takes seconds, so the compiled artifact is cached in
`${XDG_CACHE_HOME:-~/.cache}/stepwasm/`, keyed by the SHA-256 of the `.wasm`, the
wasmtime version and the machine. `Session` is one store and one instance; the
WIT values that cross the boundary are converted here and nowhere else.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import json
import logging
import os
import platform
import re
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import wasmtime
from wasmtime import component as wc

from .errors import ComponentError, ComponentNotFound, ComponentTrap
from .http import Http, HttpFailure, HttpRequest, HttpResponse, TlsConfig
from .storage import Storage, StorageFailure, atomic_write

__all__ = [
    "COMPONENT_ENV",
    "LoadInfo",
    "Ports",
    "Runtime",
    "Session",
    "cache_directory",
    "cache_file_name",
    "default_component_path",
    "load_component",
    "wasmtime_version",
]

log = logging.getLogger(__name__)

#: Names the component to run instead of `<repo>/dist/stepwasm.wasm`.
COMPONENT_ENV = "STEPWASM_COMPONENT"

HTTP = "stepwasm:client/http@0.1.0"
STORAGE = "stepwasm:client/storage@0.1.0"
API = "stepwasm:client/api@0.1.0"
CLI_RUN = "wasi:cli/run@0.2.0"

_CACHE_PREFIX = "component-"
_CACHE_KEEP = 4
_DIGESTS = "digests.json"


def default_component_path() -> Path:
    """`$STEPWASM_COMPONENT`, else `dist/stepwasm.wasm` in this checkout."""
    value = os.environ.get(COMPONENT_ENV)
    if value:
        return Path(value)
    return Path(__file__).resolve().parents[2] / "dist" / "stepwasm.wasm"


def cache_directory() -> Path:
    """`${XDG_CACHE_HOME:-~/.cache}/stepwasm`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "stepwasm"


def wasmtime_version() -> str:
    """The installed wasmtime-py version, read cheaply from its dist-info."""
    site = Path(wasmtime.__file__).resolve().parent.parent
    for info in site.glob("wasmtime-*.dist-info"):
        return info.name[len("wasmtime-") : -len(".dist-info")]
    try:
        from importlib.metadata import version

        return version("wasmtime")
    except ImportError:
        return "unknown"


def cache_file_name(sha256: str, version: str | None = None) -> str:
    """The cache file for a component hash under this wasmtime and machine."""
    version = version or wasmtime_version()
    return f"{_CACHE_PREFIX}{sha256}-wasmtime-{version}-{platform.machine()}.cwasm"


@dataclass(frozen=True)
class LoadInfo:
    """How the component was loaded, for `--version` and benchmarks."""

    path: Path
    sha256: str
    cache_file: Path | None
    from_cache: bool
    seconds: float


def load_component(
    engine: wasmtime.Engine, path: Path, cache_dir: Path | None
) -> tuple[wc.Component, LoadInfo]:
    """Load the compiled form from the cache, or compile and cache it."""
    started = time.perf_counter()
    usable = cache_dir is not None and _private_dir(cache_dir)
    sha256 = _digest(path, cache_dir if usable else None)
    cache_file = cache_dir / cache_file_name(sha256) if cache_dir and usable else None

    if cache_file is not None and _private_file(cache_file):
        try:
            component = wc.Component.deserialize_file(engine, str(cache_file))
        except wasmtime.WasmtimeError as e:
            log.info("ignoring unusable cache file %s: %s", cache_file, _first_line(e))
        else:
            _touch(cache_file)
            seconds = time.perf_counter() - started
            return component, LoadInfo(path, sha256, cache_file, True, seconds)

    try:
        component = wc.Component(engine, path.read_bytes())
    except wasmtime.WasmtimeError as e:
        raise ComponentError(f"{path}: not a usable component: {_first_line(e)}")
    if cache_file is not None:
        _store_cache(component, cache_file)
    seconds = time.perf_counter() - started
    return component, LoadInfo(path, sha256, cache_file, False, seconds)


@dataclass
class Ports:
    """The host side of the `http` and `storage` imports for one session."""

    storage: Storage
    http: Http


_ACTIVE: contextvars.ContextVar[Ports] = contextvars.ContextVar("stepwasm_ports")


class Runtime:
    """Engine, compiled component and linker: made once, shared by sessions."""

    _shared: ClassVar[dict[Path, Runtime]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        component: str | os.PathLike[str] | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        use_cache: bool = True,
    ) -> None:
        path = Path(component) if component is not None else default_component_path()
        if not path.is_file():
            raise ComponentNotFound(
                f"component not found at {_shown(path)}: run ./build.sh"
            )
        cache = Path(cache_dir) if cache_dir is not None else cache_directory()
        self.engine = wasmtime.Engine()
        self.component, self.load_info = load_component(
            self.engine, path, cache if use_cache else None
        )
        self.linker = self._link()

    @classmethod
    def shared(cls, component: str | os.PathLike[str] | None = None) -> Runtime:
        """One runtime per component file for the whole process."""
        path = Path(component) if component is not None else default_component_path()
        key = path.absolute()
        with cls._shared_lock:
            runtime = cls._shared.get(key)
            if runtime is None:
                runtime = cls._shared[key] = cls(path)
            return runtime

    @property
    def path(self) -> Path:
        return self.load_info.path

    def session(
        self,
        ports: Ports,
        *,
        argv: Sequence[str] = ("stepwasm",),
        env: Sequence[tuple[str, str]] = (),
        inherit_stdio: bool = False,
        output: Callable[[bytes], None] | None = None,
    ) -> Session:
        """A fresh store and instance whose imports go to `ports`.

        With `inherit_stdio` the component uses this process's stdin, stdout
        and stderr; otherwise stdin is empty and output goes to `output` (or is
        dropped). No directory is preopened and the network is not inherited
        (wasi:sockets refuses every address): bytes leave only through `http`
        and `storage`.
        """
        wasi = wasmtime.WasiConfig()
        wasi.argv = list(argv)
        wasi.env = [list(pair) for pair in env]
        if inherit_stdio:
            wasi.inherit_stdin()
            wasi.inherit_stdout()
            wasi.inherit_stderr()
        elif output is not None:
            wasi.stdout_custom = output
            wasi.stderr_custom = output
        store = wasmtime.Store(self.engine)
        store.set_wasi(wasi)
        token = _ACTIVE.set(ports)
        try:
            instance = self.linker.instantiate(store, self.component)
        except wasmtime.WasmtimeError as e:
            raise ComponentError(f"cannot instantiate component: {_first_line(e)}")
        finally:
            _ACTIVE.reset(token)
        return Session(self, store, instance, ports)

    def export_index(self, interface: str, name: str) -> wc.ExportIndex:
        parent = self.component.get_export_index(interface)
        index = self.component.get_export_index(name, parent) if parent else None
        if index is None:
            raise ComponentError(f"component has no export {interface}#{name}")
        return index

    def _link(self) -> wc.Linker:
        linker = wc.Linker(self.engine)
        linker.add_wasip2()
        with linker.root() as root:
            with root.add_instance(HTTP) as http:
                http.add_func("send", _host(_send))
                http.add_func(
                    "supports-client-certificates", _host(_supports_client_certs)
                )
            with root.add_instance(STORAGE) as storage:
                storage.add_func("read", _host(_read))
                storage.add_func("write", _host(_write))
                storage.add_func("list-files", _host(_list_files))
                storage.add_func("remove", _host(_remove))
        return linker


class Session:
    """One store and one instance; discarded after a trap."""

    def __init__(
        self,
        runtime: Runtime,
        store: wasmtime.Store,
        instance: wc.Instance,
        ports: Ports,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.instance = instance
        self.ports = ports
        self.broken = False
        self._funcs: dict[tuple[str, str], tuple[wc.Func, Any]] = {}

    def call(self, interface: str, name: str, *args: Any) -> Any:
        """Call an export; a `result` comes back as `(ok, payload)`."""
        if self.broken:
            raise ComponentTrap("the component instance trapped earlier")
        func, result_type = self._func(interface, name)
        token = _ACTIVE.set(self.ports)
        try:
            value = func(self.store, *args)
        except wasmtime.ExitTrap:
            self.broken = True
            raise
        except _Interrupted:
            self.broken = True
            raise KeyboardInterrupt from None
        except wasmtime.WasmtimeError as e:
            self.broken = True
            log.debug("component trapped in %s#%s: %s", interface, name, e)
            raise ComponentTrap(f"component trapped: {trap_summary(e)}") from e
        except BaseException:
            self.broken = True
            raise
        finally:
            _ACTIVE.reset(token)
        if isinstance(result_type, wc.ResultType):
            return _split_result(result_type, value)
        return value

    def run_cli(self) -> bool:
        """Run `wasi:cli/run`: True when the command succeeded."""
        ok, _ = self.call(CLI_RUN, "run")
        return bool(ok)

    def _func(self, interface: str, name: str) -> tuple[wc.Func, Any]:
        key = (interface, name)
        found = self._funcs.get(key)
        if found is None:
            index = self.runtime.export_index(interface, name)
            func = self.instance.get_func(self.store, index)
            if func is None:
                raise ComponentError(f"{interface}#{name} is not a function")
            found = self._funcs[key] = (func, func.type(self.store).result)
        return found


def trap_summary(error: BaseException) -> str:
    """The root cause of a wasmtime trap, without the backtrace."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if "Caused by:" in lines:
        causes = lines[lines.index("Caused by:") + 1 :]
        if causes:
            return re.sub(r"^\d+: ", "", causes[-1])
    return lines[0] if lines else "unknown trap"


def _split_result(result_type: wc.ResultType, value: Any) -> tuple[bool, Any]:
    """Undo wasmtime-py's result encoding (tagged only when cases overlap)."""
    ok_type, err_type = result_type.ok, result_type.err
    ok_classes, err_classes = _classes(ok_type), _classes(err_type)
    if ok_classes & err_classes:
        return value.tag == "ok", value.payload
    if ok_type is None:
        return value is None, value
    if err_type is None:
        return value is not None, value
    return not isinstance(value, tuple(err_classes)), value


def _classes(val_type: Any) -> set[type]:
    found: set[type] = set()
    if val_type is None:
        found.add(object)
    else:
        val_type.add_classes(found)
    return found


# The import functions: WIT values in, our ports called, WIT values out.


class _Interrupted(Exception):
    """Ctrl-C inside an import, carried through wasmtime as an Exception."""


def _host(func: Callable[..., Any]) -> Callable[..., Any]:
    """Let KeyboardInterrupt cross wasmtime-py, which only catches Exception."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        try:
            return func(*args)
        except KeyboardInterrupt as e:
            raise _Interrupted() from e

    return wrapper


def _send(_store: Any, req: Any) -> Any:
    try:
        response = _ACTIVE.get().http.send(_http_request(req))
    except HttpFailure as e:
        if e.kind in ("timeout", "too-large"):
            return wc.Variant(e.kind)
        return wc.Variant(e.kind, e.message)
    return _response_record(response)


def _supports_client_certs(_store: Any) -> bool:
    return _ACTIVE.get().http.allow_client_certificates


def _read(_store: Any, scope: str, path: str) -> Any:
    return _storage_call(lambda s: s.read(scope, path))  # type: ignore[arg-type]


def _write(_store: Any, scope: str, path: str, data: bytes, secret: bool) -> Any:
    return _storage_call(lambda s: s.write(scope, path, data, secret))  # type: ignore[arg-type]


def _list_files(_store: Any, scope: str, prefix: str) -> Any:
    return _storage_call(lambda s: s.list_files(scope, prefix))  # type: ignore[arg-type]


def _remove(_store: Any, scope: str, path: str) -> Any:
    return _storage_call(lambda s: s.remove(scope, path))  # type: ignore[arg-type]


def _storage_call(action: Callable[[Storage], Any]) -> Any:
    try:
        return action(_ACTIVE.get().storage)
    except StorageFailure as e:
        return wc.Variant(e.kind, e.message)


def _http_request(req: Any) -> HttpRequest:
    tls = None
    if req.tls is not None:
        tls = TlsConfig(
            roots=list(req.tls.roots),
            client_chain=list(getattr(req.tls, "client-chain")),
            client_key=getattr(req.tls, "client-key"),
            verify=req.tls.verify,
        )
    return HttpRequest(
        method=req.method,
        url=req.url,
        headers=[tuple(pair) for pair in req.headers],
        body=req.body,
        tls=tls,
        timeout_ms=getattr(req, "timeout-ms"),
    )


def _response_record(response: HttpResponse) -> wc.Record:
    record = wc.Record()
    record.status = response.status
    record.headers = [(name, value) for name, value in response.headers]
    record.body = bytes(response.body)
    setattr(record, "peer-chain", [bytes(der) for der in response.peer_chain])
    return record


# The compile cache.


def _digest(path: Path, cache_dir: Path | None) -> str:
    """SHA-256 of the file, remembered by (size, mtime, ctime, inode)."""
    info = path.stat()
    signature = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
    key = str(path.resolve())
    memo: dict[str, Any] = {}
    memo_file = cache_dir / _DIGESTS if cache_dir else None
    if memo_file is not None:
        try:
            memo = json.loads(memo_file.read_text())
            entry = memo.get(key)
            if entry and entry[:4] == signature and isinstance(entry[4], str):
                return entry[4]
        except (OSError, ValueError, TypeError, AttributeError):
            memo = {}
    with path.open("rb") as f:
        sha256 = hashlib.file_digest(f, "sha256").hexdigest()
    if memo_file is not None and isinstance(memo, dict):
        memo = {k: v for k, v in memo.items() if Path(k).exists() and k != key}
        memo[key] = [*signature, sha256]
        try:
            _atomic_bytes(memo_file, json.dumps(memo).encode())
        except OSError as e:
            log.debug("cannot remember the component digest: %s", e)
    return sha256


def _store_cache(component: wc.Component, cache_file: Path) -> None:
    """Write the compiled form atomically, then drop old entries."""
    try:
        _atomic_bytes(cache_file, bytes(component.serialize()))
    except (OSError, wasmtime.WasmtimeError) as e:
        log.warning("cannot write the compile cache %s: %s", cache_file, e)
        return
    entries = sorted(
        cache_file.parent.glob(f"{_CACHE_PREFIX}*.cwasm"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[_CACHE_KEEP:]:
        try:
            old.unlink()
        except OSError:
            pass


def _atomic_bytes(target: Path, data: bytes) -> None:
    atomic_write(str(target), data, 0o600)


def _private_dir(directory: Path) -> bool:
    """Create the cache directory 0700; use it only if no one else can write."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
    except OSError as e:
        log.info("compile cache disabled: %s", e)
        return False
    # A compiled artifact is machine code: never load one others could replace.
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        log.warning("compile cache disabled: %s is writable by others", directory)
        return False
    return True


def _private_file(path: Path) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISREG(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & 0o022
    )


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
