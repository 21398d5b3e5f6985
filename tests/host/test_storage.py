"""The storage port: confinement, atomic writes, modes, listing."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from stepwasm_host import storage as storage_module
from stepwasm_host.storage import Storage, StorageFailure

pytestmark = pytest.mark.host


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """A profile, a working directory and an outside directory side by side."""
    profile = tmp_path / "step"
    work = tmp_path / "work"
    outside = tmp_path / "outside"
    for d in (work, outside):
        d.mkdir()
    (outside / "secret.txt").write_bytes(b"outside")
    monkeypatch.chdir(work)
    return profile, work, outside


@pytest.fixture
def store(dirs):
    profile, work, _ = dirs
    return Storage(profile, work)


def failure(action, *args) -> StorageFailure:
    with pytest.raises(StorageFailure) as info:
        action(*args)
    return info.value


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("scope", ["profile", "files"])
def test_write_then_read(store, scope):
    store.write(scope, "certs/root_ca.crt", b"pem")

    assert store.read(scope, "certs/root_ca.crt") == b"pem"
    assert (store.root(scope) / "certs" / "root_ca.crt").read_bytes() == b"pem"


def test_profile_directories_are_private(store, dirs):
    profile, _, _ = dirs

    store.write("profile", "secrets/deep/key", b"k", secret=True)

    assert mode(profile) == 0o700
    assert mode(profile / "secrets") == 0o700
    assert mode(profile / "secrets" / "deep") == 0o700


@pytest.mark.parametrize(
    "path",
    ["../x", "a/../../x", "a/..", "./a", "a//b", "a/", "", "a\\b", "a\0b", "/etc/x"],
    ids=["dotdot", "deep-dotdot", "trailing-dotdot", "dot", "empty-part",
         "trailing-slash", "empty", "backslash", "nul", "absolute"],
)  # fmt: skip
@pytest.mark.parametrize("scope", ["profile", "files"])
def test_invalid_paths(store, scope, path):
    for action in (
        lambda: store.read(scope, path),
        lambda: store.write(scope, path, b"x"),
        lambda: store.remove(scope, path),
    ):
        assert failure(action).kind == "invalid-path"


def test_absolute_path_outside_the_working_directory_names_the_rule(store, dirs):
    _, _, outside = dirs
    path = str(outside / "secret.txt")

    error = failure(store.read, "files", path)

    assert error.kind == "invalid-path"
    assert path in error.message
    assert "must be inside the current directory" in error.message


def test_absolute_path_inside_the_working_directory_is_accepted(store, dirs):
    _, work, _ = dirs
    (work / "sub").mkdir()
    (work / "sub" / "a.crt").write_bytes(b"a")

    assert store.read("files", str(work / "sub" / "a.crt")) == b"a"
    store.write("files", str(work / "b.crt"), b"b")
    assert (work / "b.crt").read_bytes() == b"b"


def test_absolute_paths_are_refused_in_the_profile(store, dirs):
    profile, _, _ = dirs
    store.write("profile", "config/defaults.json", b"{}")

    error = failure(store.read, "profile", str(profile / "config" / "defaults.json"))

    assert error.kind == "invalid-path"


@pytest.mark.parametrize("scope", ["profile", "files"])
def test_symlink_escape_on_read(store, dirs, scope):
    _, _, outside = dirs
    root = store.root(scope)
    root.mkdir(exist_ok=True)
    (root / "link").symlink_to(outside / "secret.txt")
    (root / "dir").symlink_to(outside)

    assert failure(store.read, scope, "link").kind == "denied"
    assert failure(store.read, scope, "dir/secret.txt").kind == "denied"


@pytest.mark.parametrize("scope", ["profile", "files"])
def test_symlink_escape_on_write(store, dirs, scope):
    _, _, outside = dirs
    root = store.root(scope)
    root.mkdir(exist_ok=True)
    (root / "link").symlink_to(outside / "secret.txt")
    (root / "dir").symlink_to(outside)

    assert failure(store.write, scope, "link", b"pwned").kind == "denied"
    assert failure(store.write, scope, "dir/new.txt", b"pwned").kind == "denied"
    assert failure(store.write, scope, "dir/sub/new.txt", b"pwned").kind == "denied"

    assert (outside / "secret.txt").read_bytes() == b"outside"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (root / "link").is_symlink()


def test_dangling_symlink_pointing_outside_is_refused(store, dirs):
    _, work, outside = dirs
    (work / "link").symlink_to(outside / "new.txt")

    assert failure(store.write, "files", "link", b"x").kind == "denied"
    assert not (outside / "new.txt").exists()


def test_symlink_inside_the_root_is_followed_and_kept(store, dirs):
    _, work, _ = dirs
    (work / "real.crt").write_bytes(b"old")
    (work / "link.crt").symlink_to("real.crt")

    assert store.read("files", "link.crt") == b"old"
    store.write("files", "link.crt", b"new")

    assert (work / "link.crt").is_symlink()
    assert (work / "real.crt").read_bytes() == b"new"


def test_write_replaces_atomically_and_leaves_no_temp_file(store, dirs):
    _, work, _ = dirs
    store.write("files", "a.crt", b"first")
    inode = os.stat(work / "a.crt").st_ino

    store.write("files", "a.crt", b"second")

    assert (work / "a.crt").read_bytes() == b"second"
    assert os.stat(work / "a.crt").st_ino != inode
    assert os.listdir(work) == ["a.crt"]


def test_a_write_removes_stale_leftovers_of_killed_writes_only(store, dirs):
    _, work, _ = dirs
    old = storage_module.STALE_TEMP_SECONDS + 60
    stale = work / ".a.crt.0123456789ab.tmp"  # a writer killed long ago
    fresh = work / ".a.crt.ba9876543210.tmp"  # a writer still at work
    other = work / ".b.crt.0123456789ab.tmp"  # another file's leftover
    for path in (stale, fresh, other):
        path.write_bytes(b"partial")
    for path in (stale, other):
        os.utime(path, (os.path.getmtime(path) - old,) * 2)

    store.write("files", "a.crt", b"whole")

    assert sorted(os.listdir(work)) == sorted([other.name, fresh.name, "a.crt"])


def test_failed_write_keeps_the_old_content_and_no_temp_file(store, dirs, monkeypatch):
    _, work, _ = dirs
    store.write("files", "a.crt", b"old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage_module.os, "replace", broken_replace)

    error = failure(store.write, "files", "a.crt", b"new")

    assert error.kind == "io"
    assert "no space left on device" in error.message
    assert (work / "a.crt").read_bytes() == b"old"
    assert os.listdir(work) == ["a.crt"]


def test_secret_is_0600_from_creation(store, dirs, monkeypatch):
    profile, _, _ = dirs
    created = []
    real_open = os.open

    def spy_open(path, flags, mode=0o777, **kw):
        if flags & os.O_CREAT:
            created.append(mode)
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(storage_module.os, "open", spy_open)
    old_umask = os.umask(0)
    try:
        store.write("profile", "secrets/key", b"k", secret=True)
        store.write("profile", "certs/leaf.crt", b"c")
    finally:
        os.umask(old_umask)

    assert created == [0o600, 0o644]
    assert mode(profile / "secrets" / "key") == 0o600
    assert mode(profile / "certs" / "leaf.crt") == 0o644


def test_umask_narrows_public_files(store, dirs):
    _, work, _ = dirs
    old_umask = os.umask(0o077)
    try:
        store.write("files", "a.crt", b"a")
    finally:
        os.umask(old_umask)

    assert mode(work / "a.crt") == 0o600


def test_rewriting_a_secret_without_the_flag_keeps_it_private(store, dirs):
    _, work, _ = dirs
    store.write("files", "key.pem", b"k1", secret=True)

    store.write("files", "key.pem", b"k2")

    assert mode(work / "key.pem") == 0o600


def test_read_errors_name_the_path(store, dirs):
    profile, work, _ = dirs
    (work / "dir").mkdir()

    missing = failure(store.read, "profile", "certs/root_ca.crt")
    directory = failure(store.read, "files", "dir")

    assert missing.kind == "not-found"
    assert str(profile / "certs" / "root_ca.crt") in missing.message
    assert directory.kind == "io"
    assert "dir" in directory.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_denied(store, dirs):
    _, work, _ = dirs
    (work / "locked").write_bytes(b"x")
    (work / "locked").chmod(0)

    assert failure(store.read, "files", "locked").kind == "denied"


def test_reading_a_fifo_does_not_block(store, dirs):
    _, work, _ = dirs
    os.mkfifo(work / "fifo")
    result = []
    thread = threading.Thread(
        target=lambda: result.append(failure(store.read, "files", "fifo")), daemon=True
    )

    thread.start()
    thread.join(5)

    assert result and result[0].kind == "io"


def test_list_files_recursively(store, dirs):
    _, work, outside = dirs
    for name in ("b.crt", "certs/root.crt", "certs/sub/leaf.crt"):
        store.write("files", name, b"x")
    (work / "certs" / ".leaf.crt.0123456789ab.tmp").write_bytes(b"junk")
    (work / "inside-link").symlink_to("b.crt")
    (work / "outside-link").symlink_to(outside / "secret.txt")
    (work / "outside-dir").symlink_to(outside)

    everything = store.list_files("files", "")
    certs = store.list_files("files", "certs")

    assert everything == [
        "b.crt",
        "certs/root.crt",
        "certs/sub/leaf.crt",
        "inside-link",
    ]
    assert certs == ["certs/root.crt", "certs/sub/leaf.crt"]
    assert store.list_files("files", "certs/") == certs
    assert store.list_files("files", "nothing-here") == []
    assert failure(store.list_files, "files", "outside-dir").kind == "denied"
    assert failure(store.list_files, "files", "../").kind == "invalid-path"


def test_list_files_of_a_missing_profile_is_empty(store):
    assert store.list_files("profile", "") == []


def test_remove(store, dirs):
    _, work, outside = dirs
    store.write("files", "a.crt", b"a")
    (work / "dir").mkdir()
    (work / "link").symlink_to(outside / "secret.txt")

    store.remove("files", "a.crt")
    store.remove("files", "link")

    assert not (work / "a.crt").exists()
    assert not (work / "link").exists()
    assert (outside / "secret.txt").exists()
    assert failure(store.remove, "files", "a.crt").kind == "not-found"
    assert failure(store.remove, "files", "dir").kind == "io"


def test_remove_through_a_directory_symlink_outside_is_denied(store, dirs):
    _, work, outside = dirs
    (work / "dir").symlink_to(outside)

    assert failure(store.remove, "files", "dir/secret.txt").kind == "denied"
    assert (outside / "secret.txt").exists()


def test_steppath_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STEPPATH", str(tmp_path / "custom"))

    assert Storage().profile_root == tmp_path / "custom"


def test_default_steppath(monkeypatch, tmp_path):
    monkeypatch.delenv("STEPPATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    assert Storage().profile_root == tmp_path / ".step"
