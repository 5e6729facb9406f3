"""The host's pins (deploy/host_pins.py): read from /etc/pyramid and the deploy account's home,
never from a folder the deploying process's environment names; every folder together, the
strictest holds; the process's keys only narrow (hostile cases 162, 165)."""

from __future__ import annotations

import hashlib
import importlib
import os
import pwd
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import pytest_pyramid.deploy
from pytest_pyramid.deploy import host_pins
from pytest_pyramid.deploy.config import Person
from pytest_pyramid.deploy.host_pins import Folder, combine, key_identity, trusted_keys
from pytest_pyramid.deploy.host_pins import host_pins as read_pins
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.verdict.signing import public_hex, public_pem
from pytest_pyramid.verdict.trust import TrustError
from tests.support.deploy import host


def _public(seed: str) -> tuple[str, str]:
    """One key as PEM text and as hex: the same key either way; from a fixed seed, so the
    tables' values are one in every process (xdist workers compare them)."""
    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())
    key = private.public_key()
    return public_pem(key).decode(), public_hex(key)


CI, CI_HEX = _public("ci")
CI2027, _ = _public("ci2027")
MALLORY, MALLORY_HEX = _public("mallory")
KEYS = {"ci": CI, "ci-hex": CI_HEX, "ci2027": CI2027, "mallory": MALLORY,
        "mallory-hex": MALLORY_HEX}


def folder(name: str, keys: tuple[str, ...] | None = None, **pins: object) -> Folder:
    path = Path(f"/{name}")
    texts = None if keys is None else tuple(KEYS[k] for k in keys)
    return Folder(path, (str(path / "deploy.toml"),), texts,
                  (str(path / "trusted_keys"),) if keys is not None else (), **pins)  # type: ignore[arg-type]


def named(keys: tuple[str, ...]) -> list[str]:
    by_text = {text.strip(): name for name, text in KEYS.items()}
    return sorted(by_text[k.strip()] for k in keys)


def test_the_real_host_folders_are_found_by_the_account_not_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """162/165 row b: XDG_CONFIG_HOME (or HOME) names a folder the attacker writes, or none."""
    monkeypatch.setattr(host_pins, "HOST_ROOTS", None)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    account = Path(pwd.getpwuid(os.geteuid()).pw_dir)
    assert host_pins.host_roots() == (Path("/etc/pyramid"), account / ".config" / "pyramid")


@pytest.mark.parametrize(
    ("folders", "pins_keys", "expected"),
    [
        ((), False, []),
        ((folder("etc"), folder("home")), False, []),
        ((folder("etc", ("ci",)),), True, ["ci"]),
        # the account's home adds a key /etc does not pin: it does not count
        ((folder("etc", ("ci",)), folder("home", ("ci", "mallory"))), True, ["ci"]),
        # the same key as PEM in one folder and hex in the other is one key
        ((folder("etc", ("ci",)), folder("home", ("ci-hex", "mallory"))), True, ["ci"]),
        # a folder that pins no keys does not widen the other's
        ((folder("etc"), folder("home", ("ci", "ci2027"))), True, ["ci", "ci2027"]),
        # no key in common: none is trusted (every signature refused), never all of them
        ((folder("etc", ("ci",)), folder("home", ("mallory",))), True, []),
    ],
)
def test_every_folder_s_keys_together_the_strictest_holds(
    folders: tuple[Folder, ...], pins_keys: bool, expected: list[str]
) -> None:
    pins = combine(folders)
    assert (pins.pins_keys, named(pins.keys)) == (pins_keys, expected)
    assert ("trusted_keys" in pins.anchors()) == pins_keys


@pytest.mark.parametrize(
    ("host", "asked", "environ", "expected"),
    [
        # nothing asked: the host's keys
        (("ci",), (), {}, (["ci"], "/etc/trusted_keys")),
        # 165 row a: PYRAMID_TRUSTED_KEYS names a key the host does not pin
        (("ci",), (), {"PYRAMID_TRUSTED_KEYS": "mallory"}, "'mallory', a key the host does not"),
        (("ci",), ("mallory-hex",), {}, "--trusted-key names 'mallory', a key the host"),
        # narrowing to one of the pinned keys is allowed (rotation: only the new key)
        (("ci", "ci2027"), (), {"PYRAMID_TRUSTED_KEYS": "ci2027"},
         (["ci2027"], "PYRAMID_TRUSTED_KEYS, narrowing the keys pinned by")),
        (("ci",), ("ci-hex",), {"PYRAMID_TRUSTED_KEYS": "mallory"},
         (["ci-hex"], "--trusted-key, narrowing")),
        # no host pin at all: the process's keys keep their role, and say whose choice it is
        (None, (), {"PYRAMID_TRUSTED_KEYS": "mallory"},
         (["mallory"], "PYRAMID_TRUSTED_KEYS (no host file pins trusted keys")),
        (None, (), {}, ([], "")),
    ],
)
def test_the_process_s_keys_may_only_narrow_the_host_s(
    host: tuple[str, ...] | None, asked: tuple[str, ...], environ: dict[str, str],
    expected: tuple[list[str], str] | str,
) -> None:
    pins = combine([folder("etc", host)])
    environ = {k: KEYS[v] for k, v in environ.items()}
    asked = tuple(KEYS[k] for k in asked)
    if isinstance(expected, str):
        with pytest.raises(TrustError, match="may only narrow the host's keys") as refused:
            trusted_keys(asked, environ, pins)
        shown = str(refused.value)
        for name, text in KEYS.items():
            shown = shown.replace(f"key id {key_identity(text)[:16]}", repr(name))
        assert expected in shown
        return
    keys, origin = trusted_keys(asked, environ, pins)
    assert named(keys) == expected[0]
    assert origin.startswith(expected[1])


def test_people_count_when_every_folder_naming_people_names_them() -> None:
    alice = Person("alice", (CI,), ("lead", "qa"))
    pins = combine([
        folder("etc", approvers=(alice, Person("bob", (CI2027,), ("lead",)))),
        folder("home", approvers=(Person("alice", (CI_HEX, MALLORY), ("lead",)),
                                  Person("mallory", (MALLORY,), ("lead",)))),
        folder("other"),  # names nobody: widens nothing
    ])
    assert pins.approvers == (Person("alice", (CI,), ("lead",)),)
    assert pins.deployers is None  # no folder names deployers: the record's or checkout's
    bot = Person("release-bot", (CI2027,), ())
    assert combine([folder("etc", deployers=(bot,))]).deployers == (bot,)  # no roles to keep


@pytest.mark.parametrize(
    ("etc", "home", "expected"),
    [
        # 162 row a: the home says nothing (or lifts it): /etc's requirement holds
        ({"requires": ("staging",)}, {"requires": ()}, {"requires": ("staging",)}),
        ({"requires": ("staging",)}, {"requires": ("qa",), "requires_within": 3600.0},
         {"requires": ("staging", "qa"), "requires_within": 3600.0}),
        ({"requires_within": 7200.0}, {"requires_within": 60.0}, {"requires_within": 60.0}),
        # 162 row b: the largest count, the roles every folder allows
        ({"required_approvals": 2}, {"required_approvals": 0}, {"required_approvals": 2}),
        ({"approver_roles": ("release_manager", "lead")}, {"approver_roles": ("lead",)},
         {"approver_roles": ("lead",)}),
        ({"approver_roles": ("release_manager",)}, {}, {"approver_roles": ("release_manager",)}),
    ],
)
def test_every_folder_s_requirements_together_none_lowers_another(
    etc: dict[str, object], home: dict[str, object], expected: dict[str, object]
) -> None:
    pins = combine([folder("etc", environments={"production": etc}),
                    folder("home", environments={"production": home})])
    assert dict(pins.environments["production"]) == expected
    assert pins.environments_origin == "/etc/deploy.toml and /home/deploy.toml"


def test_roles_no_folder_shares_are_refused_naming_the_file() -> None:
    with pytest.raises(ConfigError, match="no role is allowed by every host file") as refused:
        combine([folder("etc", environments={"production": {"approver_roles": ("a",)}}),
                 folder("home", environments={"production": {"approver_roles": ("b",)}})])
    assert refused.value.source == "/home/deploy.toml"


def test_the_host_files_are_read_from_every_folder(tmp_path: Path) -> None:
    etc, home = tmp_path / "etc", tmp_path / "home"
    etc.mkdir()
    home.mkdir()
    (etc / "ci.pub").write_text(CI)
    (etc / "trusted_keys").write_text("# CI's key\nci.pub\n")
    (etc / "deploy.toml").write_text('[environments.production]\nrequires = "staging"\n')
    (home / "deploy.toml").write_text(f'trusted_keys = ["{MALLORY_HEX}", "{CI_HEX}"]\n'
                                      "[environments.production]\nrequired_approvals = 1\n")
    pins = read_pins((etc, home))
    assert named(pins.keys) == ["ci"]
    assert pins.keys_origin == f"{etc / 'trusted_keys'} and {home / 'deploy.toml'}"
    assert dict(pins.environments["production"]) == {"requires": ("staging",),
                                                     "required_approvals": 1}
    (home / "deploy.toml").write_text("trusted_key = []\n")
    with pytest.raises(ConfigError, match="unknown key") as refused:
        read_pins((etc, home))
    assert refused.value.source == str(home / "deploy.toml")


def test_a_moved_config_home_is_named_not_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(host_pins, "HOST_ROOTS", (tmp_path / "host",))
    (tmp_path / "elsewhere" / "pyramid").mkdir(parents=True)
    note = host_pins.unread_home_note({"XDG_CONFIG_HOME": str(tmp_path / "elsewhere")})
    assert note is not None
    assert note.startswith(f"{tmp_path / 'elsewhere' / 'pyramid'} is not read")
    assert host_pins.unread_home_note({}) is None


def test_the_suite_reads_an_empty_host_not_this_machine_s() -> None:
    """tests/conftest.py: pins in this machine's /etc/pyramid or ~/.config/pyramid change no
    test's result (in-process code reads an empty folder)."""
    (root,) = host_pins.host_roots()
    assert root.is_dir()
    assert list(root.iterdir()) == []
    assert read_pins() == host_pins.HostPins()  # nothing pinned


def test_the_empty_host_holds_for_a_host_pins_imported_after_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The CLI imports host_pins lazily, so the suite's first test to run it may be the first
    to import it: the empty host is set as the module is executed, not only when it was loaded."""
    monkeypatch.delitem(sys.modules, host.HOST_PINS)
    monkeypatch.setattr(pytest_pyramid.deploy, "host_pins", host_pins)  # the import rebinds it
    with host.isolated(tmp_path):
        fresh = importlib.import_module(host.HOST_PINS)
        assert fresh is not host_pins
        assert fresh.host_roots() == (tmp_path,)
    assert fresh.HOST_ROOTS is None  # the real host again once the isolation ends


# -- run_as: the account versions run as (hostile case 225) --------------------------------------
NOBODY = pwd.getpwnam("nobody")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nobody", f"nobody:{NOBODY.pw_gid}"),
        ("nobody:nogroup", f"nobody:{NOBODY.pw_gid}"),
        ("nobody:root", "root is the deploy's own account"),  # the group would be root's
        ("root", "root is the deploy's own account"),
        ("no-such-account-225", "no such account on this host"),
        ("nobody:no-such-group-225", "no such account on this host"),
        ("nobody --extra", 'expected an account name, "user" or "user:group"'),
        ("-nobody", 'expected an account name, "user" or "user:group"'),
        (65534, 'expected an account name, "user" or "user:group"'),
    ],
)
def test_run_as_names_an_account_of_the_host_other_than_root(
    tmp_path: Path, value: object, expected: str
) -> None:
    toml = tmp_path / "deploy.toml"
    toml.write_text(f"run_as = {value!r}\n".replace("'", '"'))
    if not expected.startswith("nobody:"):
        with pytest.raises(ConfigError, match=expected) as refused:
            read_pins((tmp_path,))
        assert (refused.value.key, refused.value.source) == ("run_as", str(toml))
        return
    account = read_pins((tmp_path,)).run_as
    assert account is not None
    assert (account.name, account.uid, f"nobody:{account.gid}") == (
        "nobody", NOBODY.pw_uid, expected)
    assert account.origin == str(toml)


def test_run_as_holds_when_any_host_folder_sets_it_and_they_must_agree(tmp_path: Path) -> None:
    """The account's own ~/.config/pyramid cannot drop or change /etc/pyramid's run_as."""
    etc, home = tmp_path / "etc", tmp_path / "home"
    host.pin(etc, 'run_as = "nobody"\n')
    host.pin(home, "require_signature = false\n")
    pins = read_pins((etc, home))
    assert pins.run_as is not None
    assert pins.run_as.name == "nobody"
    assert read_pins((home, etc)).run_as == pins.run_as  # either folder alone sets it
    host.pin(home, 'run_as = "nobody:daemon"\n')  # another group: not the same account
    with pytest.raises(ConfigError, match="names nobody:nogroup: the host files must agree"
                       ) as refused:
        read_pins((etc, home))
    assert (refused.value.key, refused.value.source) == ("run_as", str(home / "deploy.toml"))


@pytest.mark.parametrize(
    ("run_as", "euid", "refused"),
    [
        (None, 1000, None),  # nothing to drop to: the deploy's own account, as before
        (None, 0, None),
        ("nobody", 0, None),  # root drops to it
        # fakes "not root" by the parameter: the deploy cannot start anything as nobody
        ("nobody", 1000, "runs as uid 1000, not root, so it cannot start versions as nobody"),
        ("nobody", NOBODY.pw_uid, "not root"),  # run as the account itself: no separation
    ],
)
def test_a_deploy_that_cannot_drop_to_run_as_is_refused(
    tmp_path: Path, run_as: str | None, euid: int, refused: str | None
) -> None:
    if run_as is not None:
        host.pin(tmp_path, f'run_as = "{run_as}"\n')
    pins = read_pins((tmp_path,))
    if refused is None:
        account = host_pins.versions_account(pins, euid=euid)
        assert (account.name if account else None) == run_as
        return
    with pytest.raises(ConfigError, match=refused) as error:
        host_pins.versions_account(pins, euid=euid)
    assert (error.value.key, error.value.source) == ("run_as", str(tmp_path / "deploy.toml"))


def test_a_commit_cannot_set_run_as(tmp_path: Path) -> None:
    """run_as is the host's: the tracked [tool.pyramid.deploy] table cannot name it."""
    from pytest_pyramid.deploy.config import project_config

    source = str(tmp_path / "pyproject.toml")
    with pytest.raises(ConfigError, match="run_as"):
        project_config(source, {"deploy": {"run_as": "nobody"}})
