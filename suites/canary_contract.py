"""Step 5b of the canary demo: the next release carries a contract migration.

``demo_releases/next`` is the shop's migrations plus ``0003_drop_orders_placed_on.sql``
(``-- pyramid: contract``): it drops ``orders.placed_on``, which ``placed_at`` (0002) replaced
and which the serving release neither reads nor writes. The schema check passes (the serving
release's integration tier on the migrated schema), but a dropped column cannot be given back
by rolling traffic back, so:

1. ``pyramid deploy`` is refused with exit 2, "needs approval", naming the contract migration,
   with nothing applied;
2. ``pyramid approve --key alice.key`` signs the approval (alice is an approver of this host);
3. ``pyramid deploy --deployer-key release-bot.key`` takes the pg_dump backup, applies 0003,
   and canaries the release;
4. ``pyramid rollback --restore-backup NAME`` returns traffic to the release before and
   restores the database from that backup (placed_on back, 0003 unapplied).

The approver and the deployer are this host's (its ``deploy.toml``: a folder the step writes
under the work folder, given to its commands in-process by ``hosted``; a deploy never reads
the host's pins from a folder its environment names): trust anchors come
from the host, never from the commit being deployed (docs/deploy.md). Kept apart from
canary_demo.py, which hands in its ``pyramid`` runner and its client ``Load``.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

NEXT_RELEASE = "demo_releases/next"
CONTRACT = "0003_drop_orders_placed_on.sql"
DROPPED = "placed_on"


class Clients(Protocol):
    failed: int

    def __enter__(self) -> Clients: ...
    def __exit__(self, *exc: object) -> None: ...
    def report(self) -> str: ...


def say(text: str) -> None:
    print(text, flush=True)


def write_host(folder: Path) -> tuple[Path, Path]:
    """Key pairs for alice (approves) and release-bot (deploys), and the host's deploy.toml
    naming them; returns (alice's private key, release-bot's private key)."""
    from pytest_pyramid.verdict.signing import generate_private_key, private_pem, public_pem

    keys = folder / "pyramid"
    keys.mkdir(parents=True, exist_ok=True)
    for person in ("alice", "release-bot"):
        key = generate_private_key()
        (keys / f"{person}.key").write_bytes(private_pem(key))
        (keys / f"{person}.pub").write_bytes(public_pem(key.public_key()))
    (keys / "deploy.toml").write_text(
        '[approvers]\nalice = { key = "alice.pub", roles = ["release_manager"] }\n'
        '[deployers]\nrelease-bot = { key = "release-bot.pub" }\n')
    return keys / "alice.key", keys / "release-bot.key"


#: the pyramid CLI on a host whose pins are in argv[1], the demo's stand-in for /etc/pyramid: a
#: deploy never reads the host's pins from a folder its environment names (deploy/host_pins.py)
HOSTED = ("import sys; from pathlib import Path; from pytest_pyramid.deploy import host_pins; "
          "host_pins.HOST_ROOTS = (Path(sys.argv[1]),); from pytest_pyramid.cli import main; "
          "sys.exit(main(sys.argv[2:]))")
#: the host folder this step's commands read (None: the real host's)
HOST: Path | None = None


def hosted(folder: Path | None) -> list[str]:
    """How to start ``pyramid`` on the host whose pins are in ``folder`` (None: the real one)."""
    import sys

    if folder is None:
        return [sys.executable, "-m", "pytest_pyramid.deploy"]
    return [sys.executable, "-c", HOSTED, str(folder)]


@contextmanager
def host_config(folder: Path) -> Iterator[None]:
    """This step's commands read the host configuration from ``folder``/pyramid."""
    global HOST
    before, HOST = HOST, folder / "pyramid"
    try:
        yield
    finally:
        HOST = before


def database_state(url: str) -> tuple[set[str], list[str]]:
    """The migrations applied and the orders table's columns."""
    import psycopg

    from pytest_pyramid.deploy.migrate import applied

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT column_name FROM information_schema.columns "
                            "WHERE table_name = 'orders'").fetchall()
    return set(applied(url)), [str(row[0]) for row in rows]


def contract_step(port: int, url: str, work_dir: Path, database_url: str,
                  pyramid: Callable[..., int], load: Callable[[str], Clients]) -> list[str]:
    """Runs step 5b; returns what went wrong (empty when it did what it should)."""
    say("\n=== 5b. the next release's contract migration: refused until approved, backed up, "
        "applied, then restored by `pyramid rollback --restore-backup`")
    host = work_dir / "contract-host"
    alice, bot = write_host(host)
    deploy = ("deploy", "--port", str(port), "--redeploy", "--migrations", NEXT_RELEASE,
              "--deployer-key", str(bot))
    backups = work_dir / "backups"
    before = set(backups.glob("*.dump"))
    with host_config(host):
        code = pyramid(*deploy)
        migrations, _ = database_state(database_url)
        if code != 2 or CONTRACT in migrations:
            return [f"the contract migration's deploy exited {code} (expected 2, needs "
                    f"approval) with {sorted(migrations)} applied"]
        say(f"[demo] refused until approved: {CONTRACT} not applied, nothing started")
        if pyramid("approve", "--key", str(alice)) != 0:
            return ["pyramid approve (alice) failed"]
        with load(url) as clients:  # the canary's steps need traffic to judge
            code = pyramid(*deploy)
        say(f"[clients] {clients.report()}")
        problems = [f"clients saw {clients.failed} failed request(s) during the contract "
                    "release"] if clients.failed else []
        migrations, columns = database_state(database_url)
        dumps = sorted(set(backups.glob("*.dump")) - before)
        if code != 0 or CONTRACT not in migrations or DROPPED in columns or len(dumps) != 1:
            return [*problems, f"the approved contract release exited {code}: {CONTRACT} "
                    f"applied: {CONTRACT in migrations}, {DROPPED} still there: "
                    f"{DROPPED in columns}, new backups: {[d.name for d in dumps]}"]
        name = dumps[0].name
        say(f"[demo] backed up as {name}, then {CONTRACT} applied (orders.{DROPPED} dropped); "
            f"`pyramid rollback --restore-backup {name}` returns traffic to the release before "
            "and restores the database from it (writes made since are lost):")
        with load(url) as clients:
            code = pyramid("rollback", "--port", str(port), "--by", "demo",
                           "--restore-backup", name)
        say(f"[clients] {clients.report()}")
    if clients.failed:
        problems.append(f"clients saw {clients.failed} failed request(s) during the restore")
    migrations, columns = database_state(database_url)
    if code != 0 or CONTRACT in migrations or DROPPED not in columns:
        problems.append(f"the rollback with --restore-backup exited {code}: {CONTRACT} still "
                        f"applied: {CONTRACT in migrations}, {DROPPED} back: {DROPPED in columns}")
    else:
        say(f"[demo] restored: orders.{DROPPED} is back, {CONTRACT} unapplied")
    return problems
