"""The filesystem Storage port of the standard-WASI build, in CPython."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from stepwasm_core.errors import StorageError
from stepwasm_core.fsstorage import FsStorage
from stepwasm_core.ports import FILES, PROFILE

pytestmark = pytest.mark.unit


@pytest.fixture
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FsStorage:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return FsStorage(str(tmp_path / "step"), ".")


def test_profile_and_files_roots(storage: FsStorage, tmp_path: Path):
    storage.write(PROFILE, "certs/root_ca.crt", b"root", secret=False)
    storage.write(FILES, "web.key", b"key", secret=True)
    assert (tmp_path / "step" / "certs" / "root_ca.crt").read_bytes() == b"root"
    assert (tmp_path / "work" / "web.key").read_bytes() == b"key"
    assert storage.read(PROFILE, "certs/root_ca.crt") == b"root"
    assert storage.list_files(PROFILE) == ["certs/root_ca.crt"]
    assert storage.list_files(PROFILE, "certs") == ["certs/root_ca.crt"]


def test_writes_replace_atomically_and_leave_no_temporaries(
    storage: FsStorage, tmp_path: Path
):
    storage.write(FILES, "a/b.crt", b"one", secret=False)
    storage.write(FILES, "a/b.crt", b"two", secret=False)
    assert storage.read(FILES, "a/b.crt") == b"two"
    assert os.listdir(tmp_path / "work" / "a") == ["b.crt"]
    assert storage.list_files(FILES) == ["a/b.crt"]


def test_secret_asks_for_owner_only(storage: FsStorage, tmp_path: Path):
    # Natively the mode is honoured; WASI runtimes ignore it (see fsstorage).
    storage.write(FILES, "k.key", b"key", secret=True)
    assert (tmp_path / "work" / "k.key").stat().st_mode & 0o777 == 0o600


def test_missing_file_and_remove(storage: FsStorage):
    with pytest.raises(StorageError) as caught:
        storage.read(FILES, "nope.crt")
    assert caught.value.missing
    assert str(caught.value) == "nope.crt: no such file"
    storage.write(FILES, "x", b"1", secret=False)
    storage.remove(FILES, "x")
    with pytest.raises(StorageError):
        storage.remove(FILES, "x")


@pytest.mark.parametrize("path", ["../x", "a/../b", "./x", "a//b", "", "a\\b"])
def test_refuses_path_shapes(storage: FsStorage, path: str):
    with pytest.raises(StorageError) as caught:
        storage.read(FILES, path)
    assert not caught.value.missing


def test_absolute_paths_only_for_files(storage: FsStorage, tmp_path: Path):
    target = tmp_path / "work" / "abs.crt"
    target.write_bytes(b"abs")
    assert storage.read(FILES, str(target)) == b"abs"
    (tmp_path / "step").mkdir()
    with pytest.raises(StorageError, match="absolute paths not allowed"):
        storage.read(PROFILE, str(target))


def test_an_absolute_path_with_no_reachable_parent_names_the_flag(storage):
    with pytest.raises(StorageError) as caught:
        storage.read(FILES, "/stepwasm-no-such-top/dir/a.crt")
    assert not caught.value.missing
    assert str(caught.value) == (
        "/stepwasm-no-such-top/dir/a.crt: no such file, and no directory above "
        "it is reachable (preopen its directory with --dir)"
    )


def test_unreachable_roots_name_the_flag(tmp_path: Path):
    storage = FsStorage(str(tmp_path / "no" / "step"), str(tmp_path / "none"))
    with pytest.raises(StorageError, match=r"--dir ~/.step::.*/no/step") as caught:
        storage.read(PROFILE, "config/defaults.json")
    assert not caught.value.missing
    with pytest.raises(StorageError, match=r"--dir \.::\."):
        storage.read(FILES, "x.crt")


def test_a_fifo_is_refused_without_waiting_for_a_writer(storage, tmp_path):
    os.mkfifo(tmp_path / "work" / "pipe.txt")
    with pytest.raises(StorageError) as caught:
        storage.read(FILES, "pipe.txt")
    assert str(caught.value) == "pipe.txt: not a regular file"


def test_a_directory_is_said_to_be_one(storage, tmp_path):
    (tmp_path / "work" / "adir").mkdir()
    with pytest.raises(StorageError) as caught:
        storage.read(FILES, "adir")
    assert str(caught.value) == "adir: is a directory"
