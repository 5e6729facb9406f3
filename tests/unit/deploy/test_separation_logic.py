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
