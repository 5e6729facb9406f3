"""The host's targets index (deploy/targets.py): which work folder's anchors record anchors a
port, an environment, a work folder; first use decided by the service, not the folder
(hostile case 322). Pure logic on files in a temporary folder."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.anchors import AnchorsRefused, anchors_for_deploy, record_first_use
from pytest_pyramid.deploy.config import load_config
from pytest_pyramid.deploy.targets import (
    IndexNotHost,
    TargetTaken,
    claim,
    claimed_elsewhere,
    history_of,
    index_path,
    names_place,
    read_index,
    unclaimed,
)

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_pyramid.deploy.config import DeployConfig


def project(tmp_path: Path, port: int = 18400, environment: str = "") -> DeployConfig:
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.pyramid.deploy]\nport = {port}\n" + (
            f"[tool.pyramid.deploy.environments.{environment}]\n" if environment else ""))
    return load_config(tmp_path / "pyproject.toml", cwd=tmp_path, env=environment or None)


@pytest.fixture
def host(tmp_path: Path) -> tuple[Path, ...]:
    return (tmp_path / "host",)


def test_a_claim_names_its_targets_and_the_history_its_deploys_write(
    tmp_path: Path, host: tuple[Path, ...]
) -> None:
    config = project(tmp_path, environment="staging")
    where = index_path(host)
    assert where == host[0] / "targets.jsonl"
    assert unclaimed(read_index(host), config)  # nothing claimed yet
    claim(where, config, at="t", event="first", taking=frozenset())
    index = read_index(host)
    assert index.problem is None
    assert unclaimed(index, config) == ()
    assert claimed_elsewhere(index, config) == {}
    assert history_of(index, "staging") == config.history_path.resolve()
    assert history_of(index, "production") is None


@pytest.mark.parametrize(
    ("folder", "port", "taken"),
    [
        ("other", 18400, ["port 18400"]),  # a fresh folder, the same port: 322 b
        (None, 18401, []),  # the same folder, another port: its own to claim
        ("other", 18401, []),  # a new service
    ],
)
def test_a_target_another_folder_claims_is_not_a_first_use(
    tmp_path: Path, host: tuple[Path, ...], folder: str | None, port: int, taken: list[str]
) -> None:
    config = project(tmp_path)
    claim(index_path(host) or tmp_path, config, at="t", event="v1", taking=frozenset())
    moved = replace(config, port=port,
                    work_dir=tmp_path / folder if folder else config.work_dir)
    found = claimed_elsewhere(read_index(host), moved)
    assert [f"{kind} {value}" for kind, value in found] == taken


def test_a_claim_may_take_a_target_only_from_the_folder_it_took_the_anchors_of(
    tmp_path: Path, host: tuple[Path, ...]
) -> None:
    config = project(tmp_path)
    where = index_path(host)
    assert where is not None
    claim(where, config, at="t", event="v1", taking=frozenset())
    moved = replace(config, work_dir=tmp_path / "moved")
    with pytest.raises(TargetTaken, match="port 18400"):
        claim(where, moved, at="t", event="raced", taking=frozenset())
    claim(where, moved, at="t", event="moved", taking={str(config.work_dir.resolve())})
    assert claimed_elsewhere(read_index(host), moved) == {}
    assert ("port", "18400") in claimed_elsewhere(read_index(host), config)  # moved on


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text.replace('"seq":1', '"seq":2'),
        lambda text: text + '{"seq":2,"prev":"forged"}\n',
        lambda text: "",
    ],
)
def test_a_damaged_index_refuses_a_first_use_until_a_person_decides(
    tmp_path: Path, host: tuple[Path, ...], damage: object
) -> None:
    config = project(tmp_path)
    where = index_path(host)
    assert where is not None
    claim(where, replace(config, port=1, work_dir=tmp_path / "x"), at="t", event="x",
          taking=frozenset())
    where.write_text(damage(where.read_text()))  # type: ignore[operator]
    assert read_index(host).problem is not None
    with pytest.raises(AnchorsRefused, match="targets index cannot be used"):
        anchors_for_deploy(config, None, environ={}, roots=host)
    decided = anchors_for_deploy(config, None, environ={}, roots=host, trust_first_checkout=True)
    assert decided.origin == "this checkout (trusted on first use)"


def test_first_use_claims_and_a_lost_folder_is_no_first_use_again(
    tmp_path: Path, host: tuple[Path, ...]
) -> None:
    """Deleting the whole work folder (record, history, state) does not make a first use:
    the host's index still names the folder and its port."""
    import shutil

    config = project(tmp_path)
    first = anchors_for_deploy(config, None, environ={}, roots=host)
    assert first.origin == "this checkout (trusted on first use)"
    assert record_first_use(config, first, "a" * 40) is None
    assert unclaimed(read_index(host), config) == ()
    shutil.rmtree(config.work_dir)
    with pytest.raises(AnchorsRefused, match=r"served before .*targets index"):
        anchors_for_deploy(config, None, environ={}, roots=host)
    elsewhere = replace(config, work_dir=tmp_path / "fresh")
    with pytest.raises(AnchorsRefused, match="record cannot be used"):
        anchors_for_deploy(elsewhere, None, environ={}, roots=host)


@pytest.mark.parametrize(
    ("claimed", "deployed", "named"),
    [
        (None, (18400, "staging"), False),  # nothing claimed: a first use
        ((18400, "staging"), (18400, "staging"), True),
        ((18400, "staging"), (18400, "production"), True),  # the port is known, by any name
        ((18401, "staging"), (18400, "staging"), True),  # the work folder is known
        # the environment's name alone is the checkout's word (hostile case 281)
        ((18401, "staging"), (18400, "staging-elsewhere"), False),
    ],
)
def test_the_index_names_a_place_by_its_port_or_its_work_folder(
    tmp_path: Path, host: tuple[Path, ...], claimed: tuple[int, str] | None,
    deployed: tuple[int, str], named: bool,
) -> None:
    where = index_path(host)
    assert where is not None
    if claimed is not None:
        claim(where, project(tmp_path, *claimed), at="t", event="first", taking=frozenset())
    config = project(tmp_path, *deployed)
    if deployed[1] == "staging-elsewhere":  # staging's name, another folder and port
        config = replace(config, environment="staging", work_dir=tmp_path / "elsewhere")
    assert names_place(read_index(host), config) is named
    host[0].mkdir(exist_ok=True)
    where.write_text("garbage\n")
    assert names_place(read_index(host), config) is False  # a damaged index names nothing


@pytest.mark.parametrize(
    ("cmdline", "folder"),
    [
        ("nginx: master process nginx -p /srv/w/router/edge -e /srv/w/router/edge/logs/e -c "
         "/srv/w/router/edge/nginx.conf", "/srv/w/"),
        ("/usr/sbin/nginx -p /srv/w/router/split -c x", "/srv/w/"),
        ("nginx -p /srv/w/other/edge -c x", None),  # not a pyramid router's layout
        ("nginx -p router/edge -c x", None),  # relative: no folder to tell
        ("nginx -c /etc/nginx/nginx.conf", None),  # the host's own nginx
        ("nginx -p", None),
        ("", None),
    ],
)
def test_a_pyramid_router_names_its_work_folder_on_its_command_line(
    cmdline: str, folder: str | None
) -> None:
    from pathlib import Path

    from pytest_pyramid.deploy.targets import router_work_dir

    expected = None if folder is None else str(Path(folder).resolve())
    assert router_work_dir(cmdline) == expected


@pytest.mark.parametrize(("where", "mode", "owner", "why"), [
    ("index", 0o666, None, "targets.jsonl is writable by every account"),
    ("index", 0o620, None, None),  # group root's: the host's
    ("index", 0o644, 65534, "targets.jsonl is owned by uid 65534"),
    ("folder", 0o777, None, "host is writable by every account"),
    ("folder", 0o1777, None, None),  # sticky: only the file's owner replaces it
    ("folder", 0o755, 65534, "host is owned by uid 65534"),
])
def test_the_index_is_trusted_only_where_root_or_the_deploy_account_alone_writes(
    tmp_path: Path, host: tuple[Path, ...], where: str, mode: int, owner: int | None,
    why: str | None,
) -> None:
    """The host's record of what serves each port is a host fact (hostile follow-up of 377):
    an index another account could write would let it say which port is free or whose record
    anchors it, as a router program another account could replace ran its code (373)."""
    import os

    config = project(tmp_path)
    claim(host[0] / "targets.jsonl", config, at="t", event="first", taking=frozenset())
    path = host[0] / "targets.jsonl" if where == "index" else host[0]
    path.chmod(mode)
    if owner is not None:
        os.chown(path, owner, -1)
    if why is None:
        assert read_index(host).claims
        return
    with pytest.raises(IndexNotHost, match=why) as raised:
        read_index(host)
    assert str(index_path(host)) in str(raised.value)


def test_a_missing_index_is_judged_by_who_could_create_it(
    tmp_path: Path, host: tuple[Path, ...]
) -> None:
    host[0].mkdir()
    host[0].chmod(0o1777)  # sticky, but anyone may create the first targets.jsonl in it
    with pytest.raises(IndexNotHost, match="writable by every account"):
        read_index(host)
