from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.config import DEFAULT_VERDICT
from pytest_pyramid.deploy.processes import free_port, start_ticks
from tests.support.deploy import host
from tests.support.deploy.helpers import Project, app_command, git

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pytest_pyramid.toolkits.services.servers import PostgresServer
    from tests.support.deploy.load import Clients


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    """A service's database (``shop``): a real PostgreSQL standing in for production's."""
    from pytest_pyramid.toolkits.services.servers import start_postgres

    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bindirs:
        pytest.skip("PostgreSQL from apt (./dev setup installs it)")
    server: PostgresServer = start_postgres(str(bindirs[-1]), tmp_path / "records")
    with server.connect() as admin:
        admin.execute("CREATE DATABASE shop")
    yield server.conninfo("shop")
    server.stop()


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """One real PostgreSQL per test module; each test gets its own database (``pg_url``)."""
    from pytest_pyramid.toolkits.services.servers import start_postgres

    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bindirs:
        pytest.skip("PostgreSQL from apt (./dev setup installs it)")
    started = start_postgres(str(bindirs[-1]), tmp_path_factory.mktemp("records"))
    started.template = "template0"  # clones of an empty database: one per test
    yield started
    started.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    name = pg_server.clone()
    yield pg_server.conninfo(name)
    pg_server.drop(name)


@pytest.fixture
def approver_keys(tmp_path: Path) -> Path:
    """alice approves, carol deploys: key pairs as `pyramid keygen` writes them."""
    from pytest_pyramid.verdict.signing import generate_private_key, private_pem, public_pem

    folder = tmp_path / "approver-keys"
    folder.mkdir()
    for name in ("alice", "carol"):
        key = generate_private_key()
        (folder / f"{name}.key").write_bytes(private_pem(key))
        (folder / f"{name}.pub").write_bytes(public_pem(key.public_key()))
    return folder


def keygen(folder: Path, names: tuple[str, ...]) -> Path:
    """``folder/NAME.key`` and ``.pub`` for each name, each written by a `pyramid keygen`
    process (started together: a CLI start costs more than the key). Key files are only read
    by the tests, so a module's tests share one folder (``module_keys``)."""
    import subprocess

    folder.mkdir(parents=True, exist_ok=True)
    argv = [host.argv(folder / "host", "keygen", str(folder / name)) for name in names]
    started = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True) for args in argv]
    for name, process in zip(names, started, strict=True):
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0, f"pyramid keygen {name}: {out}"
    return folder


@pytest.fixture(scope="module")
def module_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Key pairs ci, ci-new, stranger, alice, bob, carol, mallory, for a module's tests."""
    return keygen(tmp_path_factory.mktemp("keys"),
                  ("ci", "ci-new", "stranger", "alice", "bob", "carol", "mallory"))


@pytest.fixture
def nginx() -> str:
    path = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if path is None:
        pytest.skip("nginx is not on PATH (CI installs it with apt)")
    return path


@pytest.fixture
def project(tmp_path: Path, nginx: str) -> Iterator[Project]:
    yield from _project(tmp_path, nginx)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Project]:
    """A project for gate and CLI tests that never start nginx."""
    yield from _project(tmp_path, "nginx")


def _project(tmp_path: Path, nginx: str) -> Iterator[Project]:
    root = tmp_path / "service"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    # the configuration is tracked: a deploy is judged by the one the commit ships
    (root / ".gitignore").write_text(f"{DEFAULT_VERDICT}*\n.pyramid/\n")
    pids = tmp_path / "pids"
    pids.mkdir()
    project = Project(root, free_port(), env={"SAMPLE_APP_PID_DIR": str(pids)})
    project.write_config(
        command=app_command(), port=project.port, nginx=nginx, interval="0.3s", measurements=1,
        min_requests=5, inconclusive_limit=40, health_timeout="10s", scale_down_delay="0.5s",
        stop_timeout="3s", bake="0s", watch="off",  # tests/e2e/deploy/test_supervisor.py: watch
        pass_env=["SAMPLE_APP_PID_DIR"],  # a version gets only what its table passes (221)
    )
    yield project
    stop_everything(project, pids)


def stop_everything(project: Project, pids: Path) -> None:
    """Stop only what this test caused, passed or failed: the CLI processes it started, in
    the work folder and each environment's (its subfolders) the supervisors and each nginx by
    its process group (its master's pid, so orphaned workers too), the apps from the pid
    files they wrote."""
    for process in project.started:
        if process.poll() is None:  # a test that failed before it finished its deploy
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.communicate(timeout=10)
    folders = [project.work_dir]
    with contextlib.suppress(OSError):
        folders += [sub for sub in project.work_dir.iterdir() if (sub / "router").is_dir()]
    for folder in folders:
        stop_work_folder(folder)
    for pid_file in pids.glob("*.pid"):
        _kill(int(pid_file.stem), signal.SIGKILL)


def stop_work_folder(work_dir: Path) -> None:
    """The supervisors and nginx of one work folder."""
    for name in ("supervisor.lease", "watch.lease"):
        with contextlib.suppress(OSError, ValueError, KeyError):
            # a supervisor still watching: ours only while the kernel's start time matches
            lease = json.loads((work_dir / name).read_text().strip("\0 \n"))
            if start_ticks(int(lease["pid"])) == lease["start_ticks"]:
                _kill(int(lease["pid"]), signal.SIGKILL)
    router = work_dir / "router"
    masters: set[int] = set()
    for pid_file in router.glob("*/nginx.pid"):
        with contextlib.suppress(OSError, ValueError):
            masters.add(int(pid_file.read_text().strip()))
    with contextlib.suppress(OSError, ValueError):
        recorded = json.loads((router / "router.json").read_text()).get("masters", {})
        masters.update(int(record[0]) for record in recorded.values())
    for master in masters:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(master, signal.SIGKILL)


@pytest.fixture
def deployed(project: Project, request: pytest.FixtureRequest) -> tuple[Project, str]:
    """A project whose first version already serves 100% through nginx. A test marked
    ``@pytest.mark.deployed_with(**settings)`` deploys it with those settings: the limits a
    rollout is judged by are the last deployed release's where a commit loosens them
    (hostile case 371), so a test judging a later rollout by looser limits deploys them first."""
    settings: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("deployed_with"))):
        settings.update(marker.kwargs)  # a test's own over its module's
    if settings:
        project.write_config(**settings)
    first = project.commit("v1")
    result = project.run("deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    return project, first


@pytest.fixture
def fault_report(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
) -> Callable[..., dict[str, object]]:
    """Record one fault scenario's measured outcome: in the test report (record_property) and,
    when PYRAMID_FAULT_REPORT names a file, as a JSON line there (docs/deploy.md's table)."""

    def report(clients: Clients, *, outcome: str, restored_after_s: float | None = None,
               rollback_s: float | None = None, **extra: object) -> dict[str, object]:
        figures: dict[str, object] = {
            "scenario": request.node.name, "outcome": outcome, **clients.summary(),
            "restored_after_s": restored_after_s, "rollback_s": rollback_s, **extra,
        }
        for key, value in figures.items():
            record_property(key, value)
        print(f"[fault] {json.dumps(figures)}")
        target = os.environ.get("PYRAMID_FAULT_REPORT")
        if target:
            with open(target, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(figures) + "\n")
        return figures

    return report


@pytest.fixture
def account_python() -> Iterator[Path]:
    """An interpreter ``nobody`` may run, with the suite's packages: the system's Python (the
    suite's own lies under /root) in a venv whose one ``.pth`` adds the suite's site-packages
    (the same minor version, so the same compiled modules)."""
    import site
    import subprocess
    import sys
    import tempfile

    system = Path("/usr/bin/python3")
    if os.geteuid() != 0 or not system.exists():
        pytest.skip("needs root (to drop to another account) and /usr/bin/python3")
    made = Path(tempfile.mkdtemp(prefix="pyramid-account-python-"))
    made.chmod(0o755)
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(made / "venv")],
                   check=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (made / "venv" / "lib" / version / "site-packages" / "suite.pth").write_text(
        f"import site; site.addsitedir({site.getsitepackages()[0]!r})\n")
    python = made / "venv" / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import sys; print(sys.version_info[:2])"],
                           capture_output=True, text=True, check=False)
    if probe.stdout.strip() != str(tuple(sys.version_info[:2])):
        shutil.rmtree(made, ignore_errors=True)
        pytest.skip(f"{system} is not Python {sys.version_info[:2]}")
    yield python
    shutil.rmtree(made, ignore_errors=True)
