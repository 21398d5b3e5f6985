"""Writing the files named on the command line (userfiles.py)."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives import hashes
from stepwasm_core import cli
from stepwasm_core.errors import InputError
from stepwasm_core.ports import FILES
from stepwasm_core.userfiles import (
    check_outputs,
    clean_path,
    read_private_key,
    write_files,
)

from .fakes import FakeCA, FakeStorage, pem

pytestmark = pytest.mark.unit


class LinkedStorage(FakeStorage):
    """FakeStorage where `link.pem` is another name for `real.pem`."""

    def _name(self, path: str) -> str:
        return "real.pem" if path == "link.pem" else path

    def read(self, scope, path):
        return super().read(scope, self._name(path))

    def write(self, scope, path, data, *, secret):
        super().write(scope, self._name(path), data, secret=secret)

    def remove(self, scope, path):
        super().remove(scope, self._name(path))


@pytest.mark.parametrize("before", [None, b"old chain"])
def test_two_names_for_one_file_are_refused_and_put_back(before):
    storage = LinkedStorage()
    if before is not None:
        storage.files[(FILES, "real.pem")] = before
    with pytest.raises(InputError) as caught:
        write_files(
            storage, [("real.pem", b"chain", False), ("link.pem", b"key", True)]
        )
    assert str(caught.value) == (
        "real.pem and link.pem name one file: give different files"
    )
    assert storage.files.get((FILES, "real.pem")) == before


def test_a_failed_write_puts_back_the_others():
    storage = FakeStorage()
    storage.files[(FILES, "a.crt")] = b"old"
    storage.fail_writes.add("a.key")
    with pytest.raises(InputError, match="cannot write a.key: disk full"):
        write_files(storage, [("a.crt", b"new", False), ("a.key", b"k", True)])
    assert storage.files == {(FILES, "a.crt"): b"old"}


def test_check_outputs():
    storage = FakeStorage()
    storage.files[(FILES, "a.crt")] = b"x"
    check_outputs(storage, ["b.crt", "b.key"], force=False)
    check_outputs(storage, ["a.crt"], force=True)
    with pytest.raises(InputError, match="a.crt already exists; use --force"):
        check_outputs(storage, ["a.crt"], force=False)
    with pytest.raises(InputError, match="must be different files"):
        check_outputs(storage, ["b.crt", "b.crt"], force=True)


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [
        ("./a.crt", "a.crt"),
        ("a//b/./c.crt", "a/b/c.crt"),
        ("/abs//./x.crt", "/abs/x.crt"),
        ("a.crt", "a.crt"),
        ("../a.crt", "../a.crt"),  # kept, for the storage to refuse
        ("dir/", "dir/"),
        (".", "."),
        ("", ""),
    ],
)
def test_clean_path(path, cleaned):
    assert clean_path(path) == cleaned


def test_files_named_as_a_shell_completes_them():
    root = FakeCA().root
    storage = FakeStorage()
    storage.files[(FILES, "certs/a.crt")] = pem(root).encode()
    out, err = io.StringIO(), io.StringIO()
    ctx = cli.Context(transport=None, storage=storage, stdout=out, stderr=err)
    code = cli.main(ctx, ["certificate", "fingerprint", "./certs//a.crt"])
    assert (code, err.getvalue()) == (0, "")
    assert out.getvalue().strip() == root.fingerprint(hashes.SHA256()).hex()


def test_a_key_file_that_holds_no_private_key_is_named():
    storage = FakeStorage()
    storage.files[(FILES, "k.pub")] = pem(FakeCA().root).encode()
    with pytest.raises(InputError) as caught:
        read_private_key(storage, "k.pub", "--key")
    assert str(caught.value).startswith("--key k.pub: no private key in the PEM data")
