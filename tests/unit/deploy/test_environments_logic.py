"""deploy/environments.py ``unknown_to_host``: a host that pins an environment's ``port`` or
``work_dir`` pins it by what it serves, not only by the name the checkout chooses (hostile case
281: a reviewed commit swapping staging's and production's ports deployed to production's port
as staging, with neither staging-first nor an approval)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pyramid.deploy.config import load_config
from pytest_pyramid.deploy.environments import unknown_to_host
from pytest_pyramid.deploy.host_pins import host_pins
from pytest_pyramid.errors import ConfigError
from tests.support.deploy.host import pin

if TYPE_CHECKING:
    from pathlib import Path


def project(staging: tuple[int, str], production: tuple[int, str]) -> str:
    return f"""
[tool.pyramid.deploy]
command = "serve --port {{port}}"
[tool.pyramid.deploy.environments.staging]
port = {staging[0]}
work_dir = "{staging[1]}"
[tool.pyramid.deploy.environments.production]
port = {production[0]}
work_dir = "{production[1]}"
"""


STAGING, PRODUCTION = (9001, ".pyramid/staging"), (9000, ".pyramid/production")
HOST = '[environments.production]\nrequires = "staging"\nrequired_approvals = 1\n'
PORT = HOST + "port = 9000\n"
FOLDER = HOST + 'work_dir = ".pyramid/production"\n'


@pytest.mark.parametrize(("staging", "production", "host", "env", "refused"), [
    (STAGING, PRODUCTION, PORT, "production", None),
    (STAGING, PRODUCTION, PORT, "staging", None),
    # case 281: the names kept, the ports (and folders) swapped by a reviewed commit
    ((9000, ".pyramid/production"), (9001, ".pyramid/staging"), PORT, "staging",
     "port 9000 is environment 'production''s (the host pins environments.production.port"),
    ((9000, ".pyramid/staging"), (9001, ".pyramid/production"), PORT, "production",
     "the host pins environments.production.port = 9000 (HOST); this deploy to production "
     "has port 9001"),
    ((9001, ".pyramid/production"), (9000, ".pyramid/staging"), FOLDER, "staging",
     "is environment 'production''s (the host pins environments.production.work_dir"),
    ((9001, ".pyramid/production"), (9000, ".pyramid/staging"), FOLDER, "production",
     "the host pins environments.production.work_dir = '.pyramid/production'"),
    # a host that pins only the name knows nothing else: the swap is then the checkout's word
    ((9000, ".pyramid/production"), (9001, ".pyramid/staging"), HOST, "staging", None),
])
def test_a_host_pinned_port_or_folder_belongs_to_its_environment_whatever_the_name(
    tmp_path: Path, staging: tuple[int, str], production: tuple[int, str], host: str,
    env: str, refused: str | None,
) -> None:
    (tmp_path / "pyproject.toml").write_text(project(staging, production))
    config = load_config(tmp_path, env=env, cwd=tmp_path)
    host_file = pin(tmp_path / "host" / "pyramid", host)
    found = unknown_to_host(config, (host_file.parent,))
    if refused is None:
        assert found is None
    else:
        assert found is not None
        assert refused.replace("HOST", str(host_file)) in found


def test_an_absolute_pinned_folder_is_the_same_folder_as_the_checkout_s_relative_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text(project((9001, ".pyramid/production"),
                                                     (9000, ".pyramid/other")))
    staging = load_config(tmp_path, env="staging", cwd=tmp_path)
    pinned = HOST + f'work_dir = "{tmp_path}/.pyramid/./production"\n'
    found = unknown_to_host(staging, (pin(tmp_path / "host" / "pyramid", pinned).parent,))
    assert found is not None
    assert "is environment 'production''s" in found


def test_two_host_files_pinning_different_ports_are_refused(tmp_path: Path) -> None:
    etc = pin(tmp_path / "etc", PORT).parent
    home = pin(tmp_path / "home", HOST + "port = 9005\n").parent
    with pytest.raises(ConfigError, match=r"environments\.production\.port = 9005") as refused:
        host_pins((etc, home))
    assert refused.value.source == str(home / "deploy.toml")


@pytest.mark.parametrize(("staging", "production", "host", "env", "serves", "refused"), [
    (STAGING, PRODUCTION, HOST, "staging", ("staging", 9001), None),
    (STAGING, PRODUCTION, HOST, "staging", None, None),  # nothing recorded: first use
    # case 281 with a host pinning only names: production's folder recorded what it serves
    ((9000, ".pyramid/production"), (9001, ".pyramid/staging"), HOST, "staging",
     ("production", 9000), "serves environment 'production' on port 9000 (recorded at its "
     "first deploy"),
    # only the ports swapped: staging's own folder recorded its port
    ((9000, ".pyramid/staging"), (9001, ".pyramid/production"), HOST, "staging",
     ("staging", 9001), "this deploy names 'staging' on port 9000"),
    # the host pins production's port: the host's pins move it, not the record
    ((9001, ".pyramid/staging"), (9000, ".pyramid/production"), PORT, "production",
     ("production", 9002), None),
])
def test_a_host_pinning_names_only_holds_a_folder_to_what_it_first_served(
    tmp_path: Path, staging: tuple[int, str], production: tuple[int, str], host: str,
    env: str, serves: tuple[str, int] | None, refused: str | None,
) -> None:
    """What a port and folder serve is the host's pins, or else what the work folder's
    anchors record kept from its first deploy (``serves``), never a later checkout's word."""
    (tmp_path / "pyproject.toml").write_text(project(staging, production))
    config = load_config(tmp_path, env=env, cwd=tmp_path)
    found = unknown_to_host(config, (pin(tmp_path / "host" / "pyramid", host).parent,),
                            serves)
    if refused is None:
        assert found is None
    else:
        assert found is not None
        assert refused in found
        assert "pin port and work_dir per environment in the host file" in found
