"""Staging, then production, of the demo shop, with the production approval asked and given
(`./dev stages`).

    ../.venv/bin/python stages_demo.py [--small] [--keep]

The demo shop (demo_service/, its tests and its smoke verify tier) copied into a fresh git
repository of its own (a temporary folder: suites/ keeps its single deploy target for the
canary demo), with two environments behind real nginx, each with its own PostgreSQL database
and Redis database (one server of each on loopback, as the canary demo starts them):

0. the project declares ``staging`` and ``production`` (production: ``required_approvals = 1``
   from a ``release_manager``); the deploy host's configuration (``/etc/pyramid/deploy.toml``,
   here a folder of the demo's, given to each command in-process: canary_contract.hosted)
   pins ``requires = "staging"`` for production:
   a commit cannot drop it; keys for the approver (alice) and the deployer (release-bot);
1. the shop's suite runs: a ``ready`` verdict for HEAD (``--small``: its unit tier alone, the
   project's ``[tool.pyramid]`` cut down to it, for a test of the demo: seconds, not minutes);
2. ``pyramid deploy --env production``: refused, staging never deployed the commit;
3. ``pyramid deploy --env staging``: migrations applied to staging's database, the smoke tier
   run against the new version before any traffic, deployed while clients send it requests
   (production counts only a staging deploy judged on real traffic);
4. ``pyramid deploy --env production --deployer-key release-bot.key``: "needs approval";
5. ``pyramid approve --env production --key alice.key``;
6. the same production deploy again: approved by alice, deployed (its own database);
7. ``pyramid history``, ``status`` and ``stats`` of production;
8. ``pyramid stop`` of both environments, always; the servers are stopped.

Exit 0 when every step did what it should, 1 otherwise. ``--keep`` leaves the folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: what of suites/ the copy takes: the shop, its six tiers, its verify tier
SHOP = ("demo_service", "tests", "smoke", "conftest.py", "pyproject.toml")
#: what a local run leaves in suites/ that the copy must not carry
ARTIFACTS = (".pyramid", "pyramid-verdict*", "pyramid-report*", ".coverage*", "__pycache__",
             ".pytest_cache", "pyramid-partial-*", "test-results")


def command(environment: str) -> str:
    """The shop's start command in ``environment``: its own database and cache (the variables
    canary_demo.services sets), then the shop's own command (suites/pyproject.toml)."""
    name = environment.upper()
    return (f"sh -c 'DEMO_DATABASE_URL=${name}_DATABASE_URL DEMO_REDIS_URL=${name}_REDIS_URL "
            "exec python -m uvicorn --factory demo_service.app:app_from_env --host 127.0.0.1 "
            "--port {port} --log-level warning'")

ENVIRONMENTS = """
[tool.pyramid.deploy.environments.staging]
port = {staging}
database_url_env = "STAGING_DATABASE_URL"
pass_env = ["STAGING_DATABASE_URL", "STAGING_REDIS_URL"]
command = "{staging_command}"

[tool.pyramid.deploy.environments.production]
port = {production}
database_url_env = "PRODUCTION_DATABASE_URL"
pass_env = ["PRODUCTION_DATABASE_URL", "PRODUCTION_REDIS_URL"]
command = "{production_command}"
required_approvals = 1
approver_roles = ["release_manager"]
approvers = {{ alice = {{ key = "keys/alice.pub", roles = ["release_manager"] }} }}
deployers = {{ release-bot = {{ key = "keys/release-bot.pub" }} }}
"""
#: --small: the shop's tiers cut down to its unit tier (no servers, no browser); the project's
#: own [tool.pyramid] table is kept as it is (its declared inputs, allow_options, among it)
SMALL_TIERS = """[tool.pyramid.tiers.unit]
paths = ["tests/unit"]
test_timeout = "2s"

"""
#: the deploy host's own configuration: production requires staging whatever a commit says,
#: and serves this port (a port the host does not pin could be production's under another
#: name: staging's first deploy would then need production's approval, docs/deploy.md)
HOST = """[environments.production]
requires = "staging"
requires_within = "24h"
port = {production}
"""


def say(text: str = "") -> None:
    print(text, flush=True)


def banner(text: str) -> None:
    say()
    say(f"=== {text}")


class Stages:
    """The demo's project, host folder and the commands run in them."""

    def __init__(self, folder: Path, *, small: bool = False) -> None:
        from pytest_pyramid.deploy.processes import free_port

        self.root = folder / "shop"
        self.host = folder / "host-config"
        self.small = small
        self.ports = {"staging": free_port(), "production": free_port()}
        venv_bin = str(Path(sys.executable).parent)  # `python` in the start command: this one
        self.env = {**os.environ,
                    "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}
        for name in ("PYRAMID_SIGNING_KEY", "PYTEST_ADDOPTS", "DEMO_FAULT"):  # never the caller's
            self.env.pop(name, None)

    def run(self, *argv: str, show: str | None = None) -> int:
        from canary_demo import SERVICES_ENV

        say(f"$ {show or ' '.join(argv)}")
        try:
            done = subprocess.run(argv, cwd=self.root, env={**self.env, **SERVICES_ENV},
                                  timeout=240, check=False)
        except subprocess.TimeoutExpired:
            say("(did not finish within 240s)")
            return 124
        say(f"(exit {done.returncode})")
        return done.returncode

    def pyramid(self, *args: str) -> int:
        from canary_contract import hosted  # the host's pins in self.host, not XDG_CONFIG_HOME

        return self.run(*hosted(self.host / "pyramid"), *args,
                        show="pyramid " + " ".join(args))

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True)

    def make(self) -> None:
        self.root.mkdir(parents=True)
        for name in SHOP:
            source = HERE / name
            if source.is_dir():
                shutil.copytree(source, self.root / name,
                                ignore=shutil.ignore_patterns(*ARTIFACTS))
            else:
                shutil.copy2(source, self.root / name)
        project = (self.root / "pyproject.toml").read_text()
        if self.small:  # the unit tier alone: the deploy table and pytest's options as they are
            for tier in ("integration", "contract", "e2e", "performance", "security"):
                shutil.rmtree(self.root / "tests" / tier)
            project = (project[:project.index("[tool.pyramid.tiers.")] + SMALL_TIERS
                       + project[project.index("# `pyramid deploy` of the demo shop"):])
        (self.root / "pyproject.toml").write_text(project + ENVIRONMENTS.format(
            staging=self.ports["staging"], production=self.ports["production"],
            staging_command=command("staging"), production_command=command("production")))
        (self.root / ".gitignore").write_text(
            "".join(f"{pattern}\n" for pattern in ARTIFACTS) + "keys/*.key\n")
        (self.host / "pyramid").mkdir(parents=True)
        (self.host / "pyramid" / "deploy.toml").write_text(
            HOST.format(production=self.ports["production"]))
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "demo@example.com")
        self.git("config", "user.name", "Demo")


def steps(stages: Stages) -> list[str]:
    """Steps 0-7; what went wrong (empty: every step did what it should)."""
    problems: list[str] = []

    def expect(code: int, wanted: int, what: str) -> None:
        if code != wanted:
            problems.append(f"{what}: exit {code}, expected {wanted}")

    banner("0. the demo shop with two environments; the host pins production's requirement")
    stages.make()
    say(ENVIRONMENTS.split("[tool.pyramid.deploy.environments.production]", 1)[0].strip()
        .format(staging=stages.ports["staging"], staging_command=command("staging")))
    say("[tool.pyramid.deploy.environments.production]  # ... and:")
    say("required_approvals = 1\napprover_roles = [\"release_manager\"]")
    say(f"# the host's {stages.host / 'pyramid' / 'deploy.toml'}:")
    say(HOST.format(production=stages.ports["production"]).strip())
    (stages.root / "keys").mkdir()
    for person in ("alice", "release-bot"):
        expect(stages.pyramid("keygen", f"keys/{person}"), 0, f"keygen {person}")
    stages.git("add", "-A")
    stages.git("commit", "-q", "-m", "the demo shop, staging then production")

    if stages.small:
        banner("1. the shop's unit tier (--small): a ready verdict for HEAD")
        expect(stages.run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/unit", show="pytest -q tests/unit"), 0, "the unit tier")
    else:
        banner("1. the shop's suite (six tiers, -n 2): a ready verdict for HEAD")
        expect(stages.run(sys.executable, "-m", "pytest", "-n", "2", "-q", "-p",
                          "no:cacheprovider", show="pytest -n 2 -q"), 0, "the suite")
    if problems:
        return problems  # nothing deploys without a ready verdict

    deployer = ("--deployer-key", "keys/release-bot.key")
    banner("2. production before staging: refused")
    expect(stages.pyramid("deploy", "--env", "production", *deployer), 1,
           "production before staging")

    banner("3. staging: its migrations, then its smoke tier before any traffic")
    from canary_demo import Load

    # production counts only a staging deploy judged on real traffic (deploy/evidence.py): a
    # first deployment nobody sends a request to is "too little traffic to judge"
    with Load(f"http://127.0.0.1:{stages.ports['staging']}/api/items") as load:
        expect(stages.pyramid("deploy", "--env", "staging"), 0, "the staging deploy")
    say(f"[clients] {load.report()}")

    banner("4. production: the approval is asked")
    expect(stages.pyramid("deploy", "--env", "production", *deployer), 2,
           "production without its approval")

    banner("5. the release manager approves")
    expect(stages.pyramid("approve", "--env", "production", "--key", "keys/alice.key"), 0,
           "pyramid approve")

    banner("6. production, approved")
    expect(stages.pyramid("deploy", "--env", "production", *deployer), 0,
           "the approved production deploy")

    banner("7. production's own history, status and DORA figures")
    stages.pyramid("history", "--env", "production")
    expect(stages.pyramid("status", "--env", "production"), 0, "production's status")
    stages.pyramid("stats", "--env", "production")
    return problems


def main(argv: list[str] | None = None) -> int:
    from canary_demo import services

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--small", action="store_true",
                        help="the shop's unit tier only for the verdict (a test of the demo)")
    parser.add_argument("--keep", action="store_true", help="leave the demo's folder")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="pyramid-stages-"))
    stages = Stages(folder, small=args.small)
    problems: list[str] = []
    with services(("staging", "production")):
        try:
            problems = steps(stages)
        except KeyboardInterrupt:
            problems = ["interrupted"]
        finally:
            banner("8. teardown")
            for env in ("production", "staging"):
                if (stages.root / ".git").exists() and \
                        stages.pyramid("stop", "--env", env) != 0:
                    problems.append(f"pyramid stop --env {env} failed")
    if args.keep:
        say(f"[demo] kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    say()
    for line in problems:
        say(f"[demo] FAILED: {line}")
    if not problems:
        say("[demo] done: the demo shop refused for production before staging, deployed to "
            "staging, production's approval asked, given and counted, production deployed; "
            "nothing left running")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))  # canary_demo's services, when run from elsewhere
    sys.exit(main())
