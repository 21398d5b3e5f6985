"""When the host asks for the provisioner password (prompt.py)."""

from __future__ import annotations

import pytest
from stepwasm_host.errors import InputError
from stepwasm_host.prompt import (
    PROMPT,
    PROMPTED_FILE,
    PromptedStorage,
    ask_password,
    wants_password,
)
from stepwasm_host.storage import Storage, StorageFailure

pytestmark = pytest.mark.host

PROVISIONER = ["--provisioner", "Admin JWK"]


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["ca", "token", "a.test", *PROVISIONER], True),
        (["ca", "certificate", "a", "a.crt", "a.key", "--provisioner=Admin"], True),
        (["ca", "revoke", "123", *PROVISIONER], True),
        (["ca", "token", "a.test", *PROVISIONER, "--password-file", "p"], False),
        (["ca", "token", "a.test", *PROVISIONER, "--password-file=p"], False),
        (["ca", "certificate", "a", "a.crt", "a.key", "--token", "t"], False),
        (["ca", "revoke", "--cert", "a.crt", "--key", "a.key", *PROVISIONER], False),
        (["ca", "token", "a.test"], False),  # the core says what is missing
        (["ca", "token", "--help", *PROVISIONER], False),
        (["ca", "renew", "a.crt", "a.key", *PROVISIONER], False),
        (["certificate", "inspect", "a.crt", *PROVISIONER], False),
    ],
)
def test_wants_password(args, wanted):
    assert wants_password(args) is wanted


def test_asks_only_on_a_terminal():
    args = ["ca", "token", "a.test", *PROVISIONER]
    asked: list[str] = []

    def read(prompt: str) -> str:
        asked.append(prompt)
        return "pässword"

    assert ask_password(args, is_terminal=lambda: False, read=read) == (args, None)
    assert asked == []
    new_args, password = ask_password(args, is_terminal=lambda: True, read=read)
    assert asked == [PROMPT]
    assert new_args == [*args, "--password-file", PROMPTED_FILE]
    assert password == "pässword".encode()


def test_the_prompted_password_lives_in_memory_only(tmp_path):
    storage = PromptedStorage(Storage(tmp_path / "step", tmp_path / "work"), b"pw")
    (tmp_path / "work").mkdir()
    assert storage.read("files", PROMPTED_FILE) == b"pw"
    with pytest.raises(StorageFailure):
        storage.write("files", PROMPTED_FILE, b"x")
    assert list((tmp_path / "work").iterdir()) == []
    storage.write("files", "other.txt", b"x")
    assert storage.read("files", "other.txt") == b"x"


@pytest.mark.parametrize("answer", ["", EOFError()], ids=["empty", "ctrl-d"])
def test_no_answer_is_refused(answer):
    def read(prompt: str) -> str:
        if isinstance(answer, BaseException):
            raise answer
        return answer

    args = ["ca", "token", "a.test", *PROVISIONER]
    with pytest.raises(InputError, match="^no password given$"):
        ask_password(args, is_terminal=lambda: True, read=read)
