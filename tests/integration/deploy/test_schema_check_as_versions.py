"""The migrations' schema check runs the serving release's tier: the commit's code, so under
the host's ``run_as`` it runs as the versions do (deploy/migrate.py ``compatibility_check``):
as the account with no supplementary group, its reports written in a scratch folder of the
account's and taken by the deploy. Real processes: the release's own test asserts what the
kernel gave it, so the check's outcome says which account ran it."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

#: the serving release's tier: passes only as the account, unable to write the deploy's file
TEST = '''
import os
from pathlib import Path


def test_runs_as_the_account():
    assert os.getuid() == {uid} and os.getgroups() == []
    try:
        open(Path({secret!r}), "ab").close()
    except PermissionError:
        return
    raise AssertionError("the schema check could write the deploy's file")
'''

#: run by the account's interpreter as root (the deploy): sys.executable is one the account
#: may run; prints the check's result
CHECK = '''
import json, pwd, sys
from pathlib import Path
from pytest_pyramid.deploy.host_pins import parse_account
from pytest_pyramid.deploy.migrate import compatibility_check
account = parse_account(sys.argv[3], "test") if sys.argv[3] else None
result = compatibility_check(Path(sys.argv[1]), Path(sys.argv[2]), "integration",
                             account=account, timeout=300)
print(json.dumps([result.ok, result.summary, list(result.failed)]))
'''


@pytest.fixture
def release() -> Iterator[Path]:
    """A serving release the account may enter and read, with a deploy-only file beside it."""
    base = Path(tempfile.mkdtemp(prefix="pyramid-schema-as-"))
    base.chmod(0o755)
    folder = base / "release"
    (folder / "tests").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        '[tool.pyramid]\ntiers = {integration = {paths = ["tests"]}}\n')
    secret = base / "deploy-only"
    secret.write_text("")
    secret.chmod(0o600)
    uid = pwd.getpwnam("nobody").pw_uid
    (folder / "tests" / "test_schema.py").write_text(TEST.format(uid=uid, secret=str(secret)))
    for path in (folder, *folder.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (base / "migrations").mkdir(mode=0o755)
    yield folder
    shutil.rmtree(base, ignore_errors=True)


def _check(python: Path, release: Path, account: str) -> tuple[bool, str, list[str]]:
    done = subprocess.run([str(python), "-I", "-c", CHECK, str(release),
                           str(release.parent / "migrations"), account],
                          capture_output=True, text=True, timeout=400, check=False,
                          env={k: v for k, v in os.environ.items()
                               if not k.startswith(("PYTEST_", "COV_CORE_"))})
    assert done.returncode == 0, done.stdout + done.stderr
    ok, summary, failed = json.loads(done.stdout.strip().splitlines()[-1])
    return ok, summary, failed


def test_the_schema_check_runs_as_the_versions_account(
    release: Path, account_python: Path,
) -> None:
    # as the deploy (no run_as): the release's test sees root and fails
    ok, summary, failed = _check(account_python, release, "")
    assert not ok
    assert "1 failed, 0 passed" in summary, summary
    assert failed == ["tests/test_schema.py::test_runs_as_the_account"]
    # as nobody: the test passes (then the check says no database was built from the
    # migrations: it proved nothing about the schema, so it still blocks)
    ok, summary, failed = _check(account_python, release, "nobody")
    assert not ok
    assert "1 passed, but none of them built a database" in summary, summary
    assert failed == []
