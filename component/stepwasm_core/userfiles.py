"""The files named on the command line (storage scope `files`): reading one
with an error naming it, checking outputs before any request, and writing
several together."""

from __future__ import annotations

from .crypto import keys
from .errors import InputError, StorageError
from .ports import FILES, Storage

__all__ = [
    "CleanPaths",
    "check_outputs",
    "clean_path",
    "read_private_key",
    "read_user_file",
    "write_files",
]


def clean_path(path: str) -> str:
    """`./a//b` as `a/b`: the shapes a shell's completion gives, which the
    storage ports refuse. '..' is kept (and refused there), and so is a
    trailing '/', which names a directory."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts or path.endswith("/"):
        return path
    return ("/" if path.startswith("/") else "") + "/".join(parts)


class CleanPaths:
    """A Storage whose `files` paths go through `clean_path` first."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _path(self, scope: str, path: str) -> str:
        return clean_path(path) if scope == FILES else path

    def read(self, scope: str, path: str) -> bytes:
        return self.storage.read(scope, self._path(scope, path))

    def write(self, scope: str, path: str, data: bytes, *, secret: bool) -> None:
        self.storage.write(scope, self._path(scope, path), data, secret=secret)

    def list_files(self, scope: str, prefix: str = "") -> list[str]:
        return self.storage.list_files(scope, prefix)

    def remove(self, scope: str, path: str) -> None:
        self.storage.remove(scope, self._path(scope, path))


def read_user_file(storage: Storage, path: str, what: str) -> bytes:
    """Read a file named on the command line, with an error naming it."""
    if path in ("", "-"):
        raise InputError(f"{what}: no file name given")
    try:
        return storage.read(FILES, path)
    except StorageError as exc:
        if exc.missing:
            raise InputError(f"{what} {path}: no such file") from None
        raise InputError(f"{what} {_naming(path, exc)}") from None


def read_private_key(storage: Storage, path: str, what: str) -> keys.PrivateKey:
    """A private key file named on the command line; errors name the file."""
    data = read_user_file(storage, path, what)
    try:
        return keys.load_private_key(data)
    except InputError as exc:
        raise InputError(f"{what} {path}: {exc}") from None


def check_outputs(storage: Storage, paths: list[str], *, force: bool) -> None:
    """Refuse, before any request is made, output files that cannot be
    written: one that exists (unless `force`) or cannot be read as a file."""
    if len(set(paths)) != len(paths):
        raise InputError("the output files must be different files")
    for path in paths:
        try:
            storage.read(FILES, path)
        except StorageError as exc:
            if exc.missing:
                continue
            raise InputError(_naming(path, exc)) from None
        if not force:
            raise InputError(f"{path} already exists; use --force to overwrite it")


def write_files(storage: Storage, files: list[tuple[str, bytes, bool]]) -> None:
    """Write several files, all or none.

    Each is read back: two names for one file (a link, or an absolute and a
    relative path) would otherwise leave the last one's content in both, such
    as a key where the certificate should be. On any failure, what the files
    held before is put back.
    """
    before: list[tuple[str, bytes | None]] = []
    try:
        for path, data, secret in files:
            try:
                old = storage.read(FILES, path)
            except StorageError:
                old = None
            before.append((path, old))
            storage.write(FILES, path, data, secret=secret)
        if len(files) > 1 and any(storage.read(FILES, p) != d for p, d, _ in files):
            names = " and ".join(path for path, _, _ in files)
            raise InputError(f"{names} name one file: give different files")
    except (StorageError, InputError) as exc:
        _put_back(storage, before)
        if isinstance(exc, InputError):
            raise
        path = before[-1][0]
        raise InputError(f"cannot write {_naming(path, exc)}") from None


def _put_back(storage: Storage, before: list[tuple[str, bytes | None]]) -> None:
    # In reverse: where two names are one file, the first one's old content
    # is the file's.
    for path, old in reversed(before):
        try:
            if old is None:
                storage.remove(FILES, path)
            else:
                storage.write(FILES, path, old, secret=True)
        except StorageError:
            pass


def _naming(path: str, exc: StorageError) -> str:
    """The storage error, with the path in front unless it is there already."""
    detail = str(exc)
    return detail if detail.startswith(path) else f"{path}: {detail}"
