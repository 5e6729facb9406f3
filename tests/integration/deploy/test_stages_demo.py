"""The pieces of `./dev stages` (suites/stages_demo.py), which runs the demo shop through
staging, then production: the project it builds, as the deploy reads it, and each
environment's start command giving the shop that environment's own database and cache. The
whole demo (its unit tier, two real deploys behind nginx with migrations and the smoke tier,
the approval) takes about 85 s on a loaded 2-core machine: too long for CI, so `./dev stages
--small` runs it on demand (docs/deploy.md)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_pyramid.deploy.config import load_config
from pytest_pyramid.deploy.requirements import first_use_asks, host_requirements, in_force

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

if TYPE_CHECKING:
    from types import ModuleType

SUITES = Path(__file__).resolve().parents[3] / "suites"


@pytest.fixture
def stages_demo(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    import importlib

    monkeypatch.syspath_prepend(str(SUITES))
    return importlib.import_module("stages_demo")


def test_the_demo_shop_deploys_to_staging_then_production_each_on_its_own(
    stages_demo: Any, tmp_path: Path
) -> None:
    stages = stages_demo.Stages(tmp_path, small=True)
    stages.make()
    root = stages.root
    assert (root / "demo_service" / "app.py").exists()  # the shop itself, not a stand-in
    assert (root / "smoke" / "tests" / "test_smoke.py").exists()  # its verify tier
    assert sorted(p.name for p in (root / "tests").iterdir()) == ["unit"]  # --small
    # the shop's own settings stay (its declared inputs: without them staging's gate finds
    # the small verdict incomplete on the database variables the unit tier reads)
    small = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pyramid"]
    shop = tomllib.loads((SUITES / "pyproject.toml").read_text())["tool"]["pyramid"]
    assert {k: v for k, v in small.items() if not isinstance(v, dict)} == {
        k: v for k, v in shop.items() if not isinstance(v, dict)}
    assert sorted(small["tiers"]) == ["unit"]
    assert small["deploy"]["verify"] == shop["deploy"]["verify"]
    roots = (stages.host / "pyramid",)
    staging = load_config(root, env="staging", cwd=root)
    production = load_config(root, env="production", cwd=root)
    assert (staging.port, production.port) == (stages.ports["staging"],
                                                stages.ports["production"])
    assert staging.work_dir != production.work_dir
    assert (staging.database_url_env, production.database_url_env) == (
        "STAGING_DATABASE_URL", "PRODUCTION_DATABASE_URL")
    assert staging.migrations == production.migrations == "demo_service/migrations"
    assert staging.verify is not None
    assert staging.verify.tier == "smoke"
    assert (production.required_approvals, production.approver_roles) == (
        1, ("release_manager",))
    assert [p.name for p in production.approvers] == ["alice"]
    assert staging.required_approvals == 0
    # production requires staging because the host says so: the checkout does not
    assert production.requires == ""
    needs = in_force(production, roots)
    assert [(n.environment, n.origin) for n in needs] == [
        ("staging", f"the host ({stages.host / 'pyramid' / 'deploy.toml'})")]
    assert in_force(staging, roots) == []
    # the host pins production's port: staging's first deploy is no first use it may be
    # production's (hostile case 281), so it asks no approval
    assert first_use_asks(staging, *host_requirements(roots)) == ()


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_each_environment_starts_the_shop_on_its_own_database(
    stages_demo: Any, tmp_path: Path, environment: str
) -> None:
    """The start command as the deploy runs it (shlex-split, {port} filled in), with a
    `python` that prints what the shop would read: that environment's database (a libpq
    conninfo, spaces and all) and cache, whichever other variables are set."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text('#!/bin/sh\necho "$DEMO_DATABASE_URL|$DEMO_REDIS_URL|$*"\n')
    (fake / "python").chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "DEMO_DATABASE_URL": "the caller's"}
    for name in ("STAGING", "PRODUCTION"):
        env[f"{name}_DATABASE_URL"] = f"host=127.0.0.1 port=5 dbname={name.lower()}"
        env[f"{name}_REDIS_URL"] = f"redis://127.0.0.1:6/{name.lower()}"
    argv = shlex.split(stages_demo.command(environment).format(port=8123))
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30,
                          check=True)
    database, cache, args = done.stdout.strip().split("|")
    assert database == f"host=127.0.0.1 port=5 dbname={environment}"
    assert cache == f"redis://127.0.0.1:6/{environment}"
    assert args == ("-m uvicorn --factory demo_service.app:app_from_env --host 127.0.0.1 "
                    "--port 8123 --log-level warning")
