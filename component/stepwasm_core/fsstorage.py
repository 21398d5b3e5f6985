"""The Storage port over a plain filesystem: the standard-WASI build's storage.

Under a WASI runtime the component sees only the directories the runtime
preopens, which is the real confinement: scope `profile` is `$STEPPATH` (for
example `--dir ~/.step::/step` with `STEPPATH=/step`) and scope `files` is the
current directory (`--dir .::.`). Paths are checked as the host's storage
checks them (relative, '/'-separated, no empty, '.' or '..' part); writes go to
a temporary sibling that is renamed over the target.

WASI 0.2's filesystem has no permission bits: a file the component creates
gets the runtime's default mode (wasmtime: 0666 less the umask of the process
that runs it). Secret files are therefore written like the others, and each
is reported to `on_secret` (the glue warns unless told the runtime runs under
`umask 077`).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Callable

from .errors import StorageError
from .ports import FILES, PROFILE

__all__ = ["MAX_READ_BYTES", "FsStorage"]

#: The largest file `read` returns.
MAX_READ_BYTES = 64 * 1024 * 1024

_TEMP_SUFFIX = ".tmp"
# WASI's errno for a path outside every preopened directory.
_ENOTCAPABLE = getattr(errno, "ENOTCAPABLE", 76)


class FsStorage:
    """Files below two directories: the profile and the working directory."""

    def __init__(
        self,
        profile_root: str,
        files_root: str = ".",
        *,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        self.roots = {PROFILE: profile_root.rstrip("/") or "/", FILES: files_root}
        self.on_secret = on_secret

    def read(self, scope: str, path: str) -> bytes:
        full = self._path(scope, path)
        try:
            # Before opening: opening a FIFO would wait for a writer.
            mode = os.stat(full).st_mode
            if stat.S_ISDIR(mode):
                raise StorageError(f"{self._shown(scope, path)}: is a directory")
            if not stat.S_ISREG(mode):
                raise StorageError(f"{self._shown(scope, path)}: not a regular file")
            with open(full, "rb") as f:
                info = os.fstat(f.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise StorageError(
                        f"{self._shown(scope, path)}: not a regular file"
                    )
                data = f.read(MAX_READ_BYTES + 1)
        except OSError as exc:
            raise self._error(scope, path, exc) from None
        if len(data) > MAX_READ_BYTES:
            raise StorageError(f"{self._shown(scope, path)}: file too large")
        return data

    def write(self, scope: str, path: str, data: bytes, *, secret: bool) -> None:
        full = self._path(scope, path, create=True)
        directory, name = os.path.split(full)
        temp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}{_TEMP_SUFFIX}")
        # The mode is asked for, though WASI runtimes ignore it (see above).
        mode = 0o600 if secret else 0o644
        try:
            if directory:
                os.makedirs(directory, exist_ok=True)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            try:
                with open(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(temp, full)
            except BaseException:
                try:
                    os.unlink(temp)
                except OSError:
                    pass
                raise
        except OSError as exc:
            raise self._error(scope, path, exc) from None
        if secret and self.on_secret is not None:
            self.on_secret(self._shown(scope, path))

    def list_files(self, scope: str, prefix: str = "") -> list[str]:
        prefix = prefix.rstrip("/")
        base = self._path(scope, prefix) if prefix else self.roots[scope]
        if os.path.isfile(base):
            return [prefix]
        found = []
        try:
            for dirpath, _dirs, names in os.walk(base):
                rel = os.path.relpath(dirpath, base)
                below = [] if rel == "." else rel.split(os.sep)
                for name in names:
                    if name.startswith(".") and name.endswith(_TEMP_SUFFIX):
                        continue
                    if os.path.isfile(os.path.join(dirpath, name)):
                        found.append(
                            "/".join([*([prefix] if prefix else []), *below, name])
                        )
        except OSError as exc:
            raise self._error(scope, prefix, exc) from None
        return sorted(found)

    def remove(self, scope: str, path: str) -> None:
        full = self._path(scope, path)
        try:
            os.unlink(full)
        except OSError as exc:
            raise self._error(scope, path, exc) from None

    # -- paths and errors --------------------------------------------------------

    def _path(self, scope: str, path: str, *, create: bool = False) -> str:
        if scope not in self.roots:
            raise StorageError(f"unknown storage scope {scope!r}")
        self._check_root(scope, create=create)
        if not path or "\0" in path or "\\" in path:
            raise StorageError(f"{path!r}: not a valid path")
        if path.startswith("/"):
            if scope != FILES:
                raise StorageError(f"{path}: absolute paths not allowed")
            parts = path[1:].split("/")
        else:
            parts = path.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise StorageError(f"{path}: empty, '.' and '..' parts are not allowed")
        if path.startswith("/"):
            return path  # the runtime's preopens decide whether it is reachable
        root = self.roots[scope]
        return "/".join(parts) if root == "." else root + "/" + "/".join(parts)

    def _check_root(self, scope: str, *, create: bool) -> None:
        """Refuse, with the flag to add, when the runtime lends no such directory."""
        root = self.roots[scope]
        if os.path.isdir(root):
            return
        if create and scope == PROFILE:
            try:  # natively a first bootstrap makes it; under WASI it is preopened
                os.makedirs(root, exist_ok=True)
                return
            except OSError:
                pass
        if scope == PROFILE:
            raise StorageError(
                f"the profile directory {root} is not reachable: give the runtime "
                f"one, e.g. --dir ~/.step::{root} --env STEPPATH={root}"
            )
        raise StorageError(
            "the current directory is not reachable: give the runtime one, "
            "e.g. --dir .::."
        )

    def _shown(self, scope: str, path: str) -> str:
        if scope == PROFILE:
            return f"{self.roots[PROFILE]}/{path}"
        return path

    def _error(self, scope: str, path: str, exc: OSError) -> StorageError:
        shown = self._shown(scope, path)
        if isinstance(exc, FileNotFoundError):
            if path.startswith("/") and not _reachable_parent(path):
                # Not `missing`: the file may well be there, out of reach.
                return StorageError(
                    f"{shown}: no such file, and no directory above it is "
                    "reachable (preopen its directory with --dir)"
                )
            return StorageError(f"{shown}: no such file", missing=True)
        if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
            return StorageError(
                f"{shown}: permission denied (outside what the runtime lends: a "
                "directory not preopened, or a link leading out of one)"
            )
        if exc.errno is not None and exc.errno == _ENOTCAPABLE:
            return StorageError(
                f"{shown}: outside the directories the runtime "
                "lends (preopen it with --dir)"
            )
        if isinstance(exc, IsADirectoryError):
            return StorageError(f"{shown}: is a directory")
        if isinstance(exc, NotADirectoryError):
            return StorageError(f"{shown}: a parent is not a directory")
        reason = (exc.strerror or str(exc)).lower()
        return StorageError(f"{shown}: {reason}")


def _reachable_parent(path: str) -> bool:
    """Whether some directory above absolute `path` (other than `/`) exists.

    Under WASI a path outside every preopened directory reads as missing; when
    not even its top directory is there, it is the preopen that is missing.
    """
    parent = os.path.dirname(path)
    while parent not in ("", "/"):
        if os.path.isdir(parent):
            return True
        parent = os.path.dirname(parent)
    return False
