"""deploy/processes.py ``separation_problem``: under the host's ``run_as``, no folder on the
path to the work folder or to a release may let the account swap it for its own (hostile case
280: a 0777 folder above ``--work-dir`` / ``--release-dir``). Real folders, real modes and
owners; the account is judged by its ids, so it need not exist."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.host_pins import Account
from pytest_pyramid.deploy.processes import separation_problem

if TYPE_CHECKING:
    from collections.abc import Iterator

ACCOUNT = Account("app", 4242, 4242, "app", origin="/etc/pyramid/deploy.toml")


@pytest.fixture
def base() -> Iterator[Path]:
    """A folder the account may enter (pytest's own tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="pyramid-separation-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _folder(path: Path, mode: int, owner: str) -> None:
    """``owner``: "deploy" (this process), "account" (the run_as uid) or "group" (its gid)."""
    path.mkdir(parents=True, exist_ok=True)
    if owner == "account":
        os.chown(path, ACCOUNT.uid, -1)
    elif owner == "group":
        os.chown(path, -1, ACCOUNT.gid)
    path.chmod(mode)


@pytest.mark.parametrize(("above", "mode", "owner", "target", "named"), [
    # (the folder above the target, its mode and owner, which target sits in it, refused?)
    ("open", 0o755, "deploy", "work", False),
    ("open", 0o777, "deploy", "work", True),  # case 280 (a): rename wd away, mkdir its own
    ("open", 0o777, "deploy", "release", True),  # case 280 (b)
    ("open/deeper", 0o777, "deploy", "work", True),  # any folder on the path, not only the parent
    ("open", 0o1777, "deploy", "work", False),  # sticky and another's: only wd's owner may move it
    ("open", 0o1777, "account", "work", True),  # sticky but the account's own
    ("open", 0o755, "account", "release", True),  # the account's own: it may chmod it
    ("open", 0o775, "group", "work", True),  # writable by the account's group
    ("open", 0o775, "group", "nothing", False),
])
def test_a_folder_above_the_work_or_release_folder_must_not_be_the_account_s(
    base: Path, above: str, mode: int, owner: str, target: str, named: bool,
) -> None:
    if os.geteuid() != 0 and owner != "deploy":
        pytest.skip("giving a folder to another account needs root")
    folder = base / above
    folder.mkdir(parents=True)
    work = (folder if target == "work" else base) / "wd"
    release = (folder if target == "release" else base) / "rel" / "abc"
    work.mkdir()
    release.parent.mkdir(parents=True, exist_ok=True)
    _folder(folder, mode, owner)
    problem = separation_problem(work, ACCOUNT, release)
    if not named:
        assert problem is None
        return
    assert problem is not None
    assert problem.startswith(f"{folder}, a folder on the path to the ")
    assert f"{'work' if target == 'work' else 'release'} folder " in problem
    assert "app, the account versions run as (run_as, /etc/pyramid/deploy.toml)" in problem


def test_a_link_on_the_path_is_judged_by_where_it_leads(base: Path) -> None:
    """A link in a safe folder to a folder inside an open one: the open one is on the way."""
    open_folder = base / "open"
    _folder(open_folder, 0o777, "deploy")
    (open_folder / "real").mkdir()
    safe = base / "safe"
    _folder(safe, 0o755, "deploy")
    (safe / "link").symlink_to(open_folder / "real")
    problem = separation_problem(safe / "link" / "wd", ACCOUNT)
    assert problem is not None
    assert problem.startswith(f"{open_folder}, a folder on the path")


def test_a_release_not_made_yet_is_judged_by_the_folders_that_are(base: Path) -> None:
    """Before the first checkout (the deploy's pre-start check) the release does not exist:
    only what exists is judged; the deploy makes the rest with its own rights."""
    work = base / "wd"
    work.mkdir()
    assert separation_problem(work, ACCOUNT, work / "releases" / "abc") is None


def _acl(path: Path, tag: str, perm: int, mask: int = 0o7) -> None:
    """A POSIX ACL on ``path`` with one named entry for the account (linux/posix_acl_xattr.h:
    version 2, entries of tag, perm, id, in the order of their tags)."""
    import struct

    anyone = 0xFFFFFFFF
    named = (0x02, perm, ACCOUNT.uid) if tag == "user" else (0x08, perm, ACCOUNT.gid)
    entries = [(0x01, 0o7, anyone), named, (0x04, 0o5, anyone), (0x10, mask, anyone),
               (0x20, 0o5, anyone)]
    os.setxattr(path, "system.posix_acl_access",
                struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in sorted(entries)))


@pytest.mark.parametrize(("mode", "owner", "acl", "writable"), [
    # (the work folder's mode and owner, a named ACL entry (tag, perm, mask), writable?)
    (0o755, "deploy", None, False),
    (0o555, "account", None, True),  # its own: it may chmod it, whatever the bits say
    (0o775, "group", None, True),
    (0o755, "group", None, False),
    (0o757, "deploy", None, True),
    (0o755, "deploy", ("user", 0o7, 0o7), True),  # a named entry for its uid
    (0o755, "deploy", ("group", 0o7, 0o7), True),  # for its gid
    (0o755, "deploy", ("user", 0o5, 0o7), False),  # read and enter only
    (0o755, "deploy", ("user", 0o7, 0o5), False),  # the mask takes write away
])
def test_the_work_folder_and_the_folders_above_it_are_judged_by_one_rule(
    base: Path, mode: int, owner: str, acl: tuple[str, int, int] | None, writable: bool,
) -> None:
    """``writable_by`` is the one rule (owner, a write bit of its class, an ACL entry naming
    it): the work folder itself as ``exposed_work`` asks, and a folder above it as
    ``replaceable_above`` asks, get the same answer."""
    from pytest_pyramid.deploy.processes import writable_by

    if os.geteuid() != 0 and owner != "deploy":
        pytest.skip("giving a folder to another account needs root")
    folder = base / "wd"
    _folder(folder, mode, owner)
    if acl is not None:
        try:
            _acl(folder, *acl)
        except OSError as exc:
            pytest.skip(f"no POSIX ACLs here ({exc})")
    assert writable_by(folder, ACCOUNT) is writable
    problem = separation_problem(folder, ACCOUNT)
    assert (problem is not None and problem.startswith(f"{folder} is writable by app")) \
        is writable
    below = separation_problem(folder / "deeper", ACCOUNT)
    assert (below is not None and below.startswith(f"{folder}, a folder on the path")) \
        is writable


def test_what_a_program_run_as_the_account_wrote_is_read_only_as_its_own_plain_file(
    base: Path,
) -> None:
    """``read_written``: the deploy reads the account's verdict, never through a link the
    account planted (to a file of the deploy's) nor a file it does not own."""
    from pytest_pyramid.deploy.processes import read_written, scratch

    if os.geteuid() != 0:
        pytest.skip("giving a folder to another account needs root")
    own = scratch(base / "scratch", ACCOUNT)
    assert (own.stat().st_uid, own.stat().st_mode & 0o777) == (ACCOUNT.uid, 0o700)
    written = own / "verdict.json"
    written.write_text('{"ok": true}')
    os.chown(written, ACCOUNT.uid, ACCOUNT.gid)
    assert read_written(written, ACCOUNT, 100) == b'{"ok": true}'
    with pytest.raises(OSError, match="larger than 4 bytes"):
        read_written(written, ACCOUNT, 4)
    secret = base / "state.json"
    secret.write_text("the deploy's")
    (own / "link.json").symlink_to(secret)
    with pytest.raises(OSError, match="link"):  # O_NOFOLLOW: ELOOP
        read_written(own / "link.json", ACCOUNT, 100)
    os.link(secret, own / "hard.json")  # root may: the account could not, protected_hardlinks
    with pytest.raises(OSError, match="not a regular file of app"):
        read_written(own / "hard.json", ACCOUNT, 100)
    assert scratch(base / "scratch", ACCOUNT) == own  # made afresh: nothing of before
    assert list(own.iterdir()) == []
