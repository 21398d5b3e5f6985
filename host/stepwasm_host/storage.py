"""The `storage` port: files confined to two roots.

Scope `profile` is `$STEPPATH` (default `~/.step`); scope `files` is the working
directory, where the files named on a command line live. A path is relative and
'/'-separated, with no empty, `.` or `..` part; symlinks are followed only while
they stay inside the root. Writes are atomic and a secret is created 0600.

The checks resolve symlinks and then open the resolved path, so a process that
can write inside the root may still race them; the roots are the user's own
directories, which is the trust boundary here.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

__all__ = [
    "MAX_READ_BYTES",
    "Scope",
    "Storage",
    "StorageFailure",
    "atomic_write",
    "default_steppath",
]

Scope = Literal["profile", "files"]

#: The largest file `read` returns. Certificates, keys and passwords are
#: small, and every byte crosses into the component one at a time (about
#: 1.5 µs each in wasmtime-py), so a larger file is refused here, at once.
MAX_READ_BYTES = 4 * 1024 * 1024

_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp$")
_T = TypeVar("_T")


class StorageFailure(Exception):
    """A storage call failed; `kind` is the WIT error case."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def default_steppath() -> Path:
    """`$STEPPATH`, or `~/.step` when it is unset or empty."""
    value = os.environ.get("STEPPATH")
    if value:
        return Path(os.path.expanduser(value)).absolute()
    return Path.home() / ".step"


class Storage:
    """Reads and writes files for the component, inside its two roots."""

    def __init__(
        self,
        profile: str | os.PathLike[str] | None = None,
        files: str | os.PathLike[str] | None = None,
    ) -> None:
        self.profile_root = (
            Path(profile).absolute() if profile is not None else default_steppath()
        )
        self.files_root = Path(files).absolute() if files is not None else Path.cwd()

    def root(self, scope: Scope) -> Path:
        """The directory a scope is confined to."""
        if scope == "profile":
            return self.profile_root
        if scope == "files":
            return self.files_root
        raise StorageFailure("invalid-path", f"unknown storage scope {scope!r}")

    def read(self, scope: Scope, path: str) -> bytes:
        """The whole content of a regular file."""
        parts = self._parts(scope, path)
        shown = self._shown(scope, parts)
        real = self._resolve(scope, parts, shown)

        def read_file() -> bytes:
            flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
            fd = os.open(real, flags)
            with open(fd, "rb") as f:
                info = os.fstat(f.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise StorageFailure("io", f"{shown}: not a regular file")
                if info.st_size > MAX_READ_BYTES:
                    raise StorageFailure(
                        "io", f"{shown}: file too large ({info.st_size} bytes)"
                    )
                data = f.read(MAX_READ_BYTES + 1)
            if len(data) > MAX_READ_BYTES:
                raise StorageFailure("io", f"{shown}: file too large")
            return data

        return _guard(shown, read_file)

    def write(self, scope: Scope, path: str, data: bytes, secret: bool = False) -> None:
        """Replace a file atomically, creating its parent directories."""
        parts = self._parts(scope, path)
        shown = self._shown(scope, parts)
        root = self._real_root(scope, create=True)
        real = self._resolve(scope, parts, shown)
        mode = 0o600 if secret else 0o644
        dir_mode = 0o700 if scope == "profile" else 0o777

        def write_file() -> None:
            _make_dirs(root, os.path.dirname(real), dir_mode)
            if not _inside(os.path.realpath(os.path.dirname(real)), root):
                raise StorageFailure("denied", f"{shown}: leads outside {root}")
            atomic_write(real, data, mode)

        _guard(shown, write_file)

    def list_files(self, scope: Scope, prefix: str = "") -> list[str]:
        """Every regular file below `prefix`, as sorted relative paths."""
        prefix = prefix.rstrip("/")
        parts = self._parts(scope, prefix) if prefix else []
        shown = self._shown(scope, parts)
        root = self._real_root(scope)
        base = self._resolve(scope, parts, shown) if parts else root

        def walk() -> list[str]:
            if os.path.isfile(base):
                return ["/".join(parts)]
            found = []
            for dirpath, _dirs, names in os.walk(base):
                rel_dir = os.path.relpath(dirpath, base)
                below = [] if rel_dir == "." else rel_dir.split(os.sep)
                for name in names:
                    full = os.path.join(dirpath, name)
                    if _TEMP_NAME.match(name) or not _listable(full, root):
                        continue
                    found.append("/".join([*parts, *below, name]))
            return sorted(found)

        return _guard(shown, walk)

    def remove(self, scope: Scope, path: str) -> None:
        """Delete one file (a symlink is removed, not its target)."""
        parts = self._parts(scope, path)
        shown = self._shown(scope, parts)
        root = self._real_root(scope)
        parent = os.path.realpath(os.path.join(root, *parts[:-1]))
        if not _inside(parent, root):
            raise StorageFailure("denied", f"{shown}: leads outside {root}")
        target = os.path.join(parent, parts[-1])

        def remove_file() -> None:
            if stat.S_ISDIR(os.lstat(target).st_mode):
                raise StorageFailure("io", f"{shown}: is a directory")
            os.unlink(target)
            _fsync_dir(parent)

        _guard(shown, remove_file)

    def _parts(self, scope: Scope, path: str) -> list[str]:
        """Check a path's shape and split it; absolute `files` paths may pass."""
        if not isinstance(path, str) or not path:
            raise StorageFailure("invalid-path", "empty path")
        if "\0" in path:
            raise StorageFailure("invalid-path", f"{path!r}: path contains a NUL byte")
        if "\\" in path:
            raise StorageFailure("invalid-path", f"{path}: use '/' to separate parts")
        if path.startswith("/"):
            return self._relative(scope, path)
        parts = path.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise StorageFailure(
                "invalid-path", f"{path}: empty, '.' and '..' parts are not allowed"
            )
        return parts

    def _relative(self, scope: Scope, path: str) -> list[str]:
        """An absolute path inside the working directory, made relative."""
        if scope != "files":
            raise StorageFailure("invalid-path", f"{path}: absolute paths not allowed")
        root = self._real_root(scope)
        outside = f"{path}: file arguments must be inside the current directory"
        if any(part in (".", "..") for part in path.split("/")):
            raise StorageFailure("invalid-path", f"{outside} ({root})")
        real = os.path.realpath(path)
        if real == root or not _inside(real, root):
            raise StorageFailure("invalid-path", f"{outside} ({root})")
        return os.path.relpath(real, root).split(os.sep)

    def _real_root(self, scope: Scope, create: bool = False) -> str:
        root = self.root(scope)
        if create and scope == "profile" and not root.exists():
            _guard(str(root), lambda: _make_dirs("/", str(root), 0o700))
        return os.path.realpath(root)

    def _resolve(self, scope: Scope, parts: list[str], shown: str) -> str:
        """The real path for `parts`, which must stay inside the root."""
        root = self._real_root(scope)
        real = os.path.realpath(os.path.join(root, *parts))
        if not _inside(real, root):
            raise StorageFailure("denied", f"{shown}: symlink leads outside {root}")
        return real

    def _shown(self, scope: Scope, parts: list[str]) -> str:
        """How a path is named in messages: profile paths in full."""
        rel = "/".join(parts)
        if scope == "profile":
            return str(self.profile_root.joinpath(*parts))
        return rel or "."


def _inside(path: str, root: str) -> bool:
    return path == root or os.path.commonpath([path, root]) == root


def _listable(full: str, root: str) -> bool:
    """A regular file, or a symlink to one that stays inside the root."""
    try:
        info = os.lstat(full)
    except OSError:
        return False
    if stat.S_ISREG(info.st_mode):
        return True
    if stat.S_ISLNK(info.st_mode):
        real = os.path.realpath(full)
        return _inside(real, root) and os.path.isfile(real)
    return False


def _make_dirs(root: str, directory: str, mode: int) -> None:
    """Create the missing directories from `root` down to `directory`."""
    rel = os.path.relpath(directory, root)
    if rel == ".":
        return
    current = root
    for part in rel.split(os.sep):
        current = os.path.join(current, part)
        try:
            os.mkdir(current, mode)
        except FileExistsError:
            if not os.path.isdir(current):
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", current)


def atomic_write(target: str, data: bytes, mode: int) -> None:
    """Write a temporary sibling, fsync it, rename it over `target`.

    A process killed between the write and the rename leaves its temporary
    file behind (hidden from list_files, never read); the next write of the
    same target removes such leftovers once they are STALE_TEMP_SECONDS old,
    long past any write still under way.
    """
    try:
        # Never loosen an existing file: a key stays 0600 when rewritten.
        mode &= stat.S_IMODE(os.stat(target).st_mode) | 0o600
    except FileNotFoundError:
        pass
    directory, name = os.path.split(target)
    temp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, mode)
    try:
        with open(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(directory)
    _remove_stale_temps(directory, name)


#: How old a leftover temporary file must be before a write removes it.
STALE_TEMP_SECONDS = 600
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{12}\.tmp")


def _remove_stale_temps(directory: str, name: str) -> None:
    cutoff = time.time() - STALE_TEMP_SECONDS
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if not match or match["name"] != name:
            continue
        try:
            if entry.is_file(follow_symlinks=False) and (
                entry.stat(follow_symlinks=False).st_mtime < cutoff
            ):
                os.unlink(entry.path)
        except OSError:
            pass  # gone already, or not ours to remove


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def _guard(shown: str, action: Callable[[], _T]) -> _T:
    """Run a file operation, mapping OS errors to WIT error cases."""
    try:
        return action()
    except FileNotFoundError as e:
        raise StorageFailure("not-found", f"{shown}: no such file") from e
    except NotADirectoryError as e:
        raise StorageFailure("io", f"{shown}: a parent is not a directory") from e
    except PermissionError as e:
        raise StorageFailure("denied", f"{shown}: permission denied") from e
    except IsADirectoryError as e:
        raise StorageFailure("io", f"{shown}: is a directory") from e
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise StorageFailure("denied", f"{shown}: too many symlinks") from e
        reason = (e.strerror or str(e)).lower()
        raise StorageFailure("io", f"{shown}: {reason}") from e
