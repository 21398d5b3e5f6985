"""Asking for the provisioner's password on the terminal, as step does.

The core reads passwords only from files. When a command that decrypts a
provisioner key (`ca token`, `ca certificate`, `ca revoke`) names a
`--provisioner` but no `--password-file` (nor `--token`, nor `--cert` for a
revocation) and standard input is a terminal, the host asks with echo off and
lends the answer to the component as a file that exists only in memory.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Sequence

from .errors import InputError
from .storage import Storage, StorageFailure

__all__ = ["PROMPT", "PROMPTED_FILE", "PromptedStorage", "ask_password"]

PROMPT = "Please enter the password to decrypt the provisioner key: "
#: The in-memory file's name, as errors show it.
PROMPTED_FILE = "(password from the terminal)"

_COMMANDS = (["ca", "token"], ["ca", "certificate"], ["ca", "revoke"])
# Flags that make the password unnecessary, or give it already.
_INSTEAD = ("--password-file", "--token", "--cert")


def _given(args: Sequence[str], flag: str) -> bool:
    return any(arg == flag or arg.startswith(flag + "=") for arg in args)


def wants_password(args: Sequence[str]) -> bool:
    """Whether this command line needs a password it was not given."""
    if list(args[:2]) not in _COMMANDS or "--help" in args or "-h" in args:
        return False
    return _given(args, "--provisioner") and not any(
        _given(args, flag) for flag in _INSTEAD
    )


def ask_password(
    args: Sequence[str],
    *,
    is_terminal: Callable[[], bool] = lambda: sys.stdin.isatty(),
    read: Callable[[str], str] = getpass.getpass,
) -> tuple[list[str], bytes | None]:
    """The arguments to run and the password asked for, if one was."""
    args = list(args)
    if not wants_password(args) or not is_terminal():
        return args, None
    try:
        answer = read(PROMPT)
    except EOFError:  # Ctrl-D
        answer = ""
    except KeyboardInterrupt:
        print(file=sys.stderr)  # end the prompt's line
        raise
    if not answer:
        raise InputError("no password given")
    return [*args, "--password-file", PROMPTED_FILE], answer.encode("utf-8")


class PromptedStorage(Storage):
    """A Storage that also reads `PROMPTED_FILE` (scope `files`) from memory."""

    def __init__(self, storage: Storage, password: bytes) -> None:
        super().__init__(storage.profile_root, storage.files_root)
        self._password = password

    def read(self, scope, path: str) -> bytes:
        if scope == "files" and path == PROMPTED_FILE:
            return self._password
        return super().read(scope, path)

    def write(self, scope, path: str, data: bytes, secret: bool = False) -> None:
        if scope == "files" and path == PROMPTED_FILE:
            raise StorageFailure("denied", f"{path}: not a file that can be written")
        super().write(scope, path, data, secret)
