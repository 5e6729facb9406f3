from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_pyramid.config import BUILTIN_TIERS, parse_settings, source_path
from pytest_pyramid.errors import ConfigError
from pytest_pyramid.project import read_table as read_pyproject_table

ROOT = Path("/project")


def parse(table: dict[str, Any], **overrides: object) -> Any:
    return parse_settings(table, "/project/pyproject.toml", ROOT, overrides)


def test_defaults_follow_the_seed_strategy() -> None:
    settings = parse({})
    assert settings.tier_names == (
        "unit",
        "integration",
        "contract",
        "e2e",
        "performance",
        "security",
    )
    budgets = {name: spec.budget for name, spec in settings.tiers.items()}
    assert budgets == {
        "unit": 30.0,
        "integration": 300.0,
        "contract": 300.0,
        "e2e": 900.0,
        "performance": 1800.0,
        "security": 1200.0,
    }
    assert settings.tiers["unit"].paths == ("tests/unit",)
    assert settings.default_tier == "unit"
    assert settings.verdict == "pyramid-verdict.json"
    assert settings.strict is False
    assert settings.groups["fast"] == ("unit",)


def test_tier_table_overrides_and_custom_tier_placement() -> None:
    settings = parse(
        {
            "tiers": {
                "unit": {"paths": ["./tests/fast/"], "test_timeout": "250ms", "budget": "1m"},
                "smoke": {"after": "unit", "budget": 10, "paths": ["tests/smoke"]},
                "chaos": {},
            },
            "groups": {"pre_merge": ["unit", "smoke"]},
        }
    )
    assert settings.tier_names[:3] == ("unit", "smoke", "integration")
    assert settings.tier_names[-1] == "chaos"
    unit = settings.tiers["unit"]
    assert (unit.paths, unit.test_timeout, unit.budget) == (("tests/fast",), 0.25, 60.0)
    assert settings.tiers["chaos"].budget is None
    assert settings.resolve_selection("pre_merge,e2e") == ("unit", "smoke", "e2e")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fast", ("unit",)),
        ("all", tuple(BUILTIN_TIERS)),
        ("e2e, unit", ("unit", "e2e")),
        ("unit,unit", ("unit",)),
    ],
)
def test_resolve_selection(text: str, expected: tuple[str, ...]) -> None:
    assert parse({}).resolve_selection(text) == expected


def test_unknown_selection_lists_known_names() -> None:
    with pytest.raises(
        ValueError, match=r"unknown tier or group 'smok'.*tiers: unit, .*groups: all, fast"
    ):
        parse({}).resolve_selection("unit,smok")


@pytest.mark.parametrize(
    ("table", "key", "why"),
    [
        ({"strickt": True}, "strickt", "unknown key"),
        ({"strict": "yes"}, "strict", "true or false"),
        ({"default_tier": "nope"}, "default_tier", "not a tier"),
        ({"tiers": {"unit": {"budget": "fast"}}}, "tiers.unit.budget", "duration"),
        ({"tiers": {"unit": {"paths": "tests/unit"}}}, "tiers.unit.paths", "list of paths"),
        ({"tiers": {"unit": {"colour": 1}}}, "tiers.unit.colour", "unknown key"),
        ({"tiers": {"unit": {"budget_level": "fatal"}}}, "tiers.unit.budget_level", "one of"),
        ({"tiers": {"x": {"after": "nope"}}}, "tiers.x.after", "not a tier"),
        ({"tiers": {"bad-name": {}}}, "tiers.bad-name", "identifier"),
        ({"groups": {"fast2": ["nope"]}}, "groups.fast2", "unknown tier"),
        ({"groups": {"all": ["unit"]}}, "groups.all", "already"),
        ({"release_tiers": ["unit", "x"]}, "release_tiers", "unknown tier"),
        ({"verdict": ""}, "verdict", "file path"),
    ],
)
def test_bad_values_name_key_value_and_file(table: dict[str, Any], key: str, why: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(table)
    assert info.value.key == key
    assert why in str(info.value)
    assert str(info.value).startswith("/project/pyproject.toml: [tool.pyramid] ")


def test_overrides_win_over_the_table() -> None:
    settings = parse({"verdict": "a.json", "strict": False}, verdict="b.json", strict=True)
    assert (settings.verdict, settings.strict) == ("b.json", True)


def test_read_pyproject_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    assert read_pyproject_table(path) is None
    path.write_text("[tool.other]\nx = 1\n")
    assert read_pyproject_table(path) is None
    path.write_text("[tool.pyramid]\nstrict = true\n")
    assert read_pyproject_table(path) == {"strict": True}
    path.write_text("[tool.pyramid\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        read_pyproject_table(path)


@pytest.mark.parametrize(("present", "entry", "path"), [
    (["src/mypkg/__init__.py"], "mypkg", "src/mypkg"),
    (["mypkg/__init__.py", "src/mypkg/__init__.py"], "mypkg", "mypkg"),  # the top first
    (["src/mypkg/__init__.py"], "src/mypkg", "src/mypkg"),
    (["tool.py"], "tool", "tool.py"),
    (["src/tool.py"], "tool", "src/tool.py"),
    (["src/acme/billing/core.py"], "acme.billing", "src/acme/billing"),
    (["src/acme/billing/core.py"], "acme.billing.core", "src/acme/billing/core.py"),
    ([], "missing_pkg", "missing_pkg"),  # named nothing: the gates say "not found"
    (["src/mypkg/__init__.py"], "src/other", "src/other"),  # a path is never renamed
    (["src/my-pkg/__init__.py"], "my-pkg", "my-pkg"),  # not an importable name
])
def test_a_source_entry_is_the_path_it_names_or_the_module_a_name_means(
    tmp_path: Path, present: list[str], entry: str, path: str,
) -> None:
    for name in present:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert source_path(tmp_path, entry) == path


@pytest.mark.parametrize(("on_disk", "tree", "entry", "path"), [
    # hostile case 341: after `git mv mypkg src/mypkg` an ignored leftover mypkg/ is no
    # package of the project: the tree's src/mypkg is what the name means
    (["mypkg/_version.py", "src/mypkg/__init__.py"], ["src/mypkg/__init__.py"], "mypkg",
     "src/mypkg"),
    (["mypkg/__pycache__/core.pyc", "src/mypkg/__init__.py"], ["src/mypkg/__init__.py"],
     "mypkg", "src/mypkg"),
    (["mypkg/__init__.py", "src/mypkg/__init__.py"], ["mypkg/__init__.py",
                                                      "src/mypkg/__init__.py"], "mypkg",
     "mypkg"),  # both held: the top first, as before
    (["tool.py", "src/tool.py"], ["src/tool.py"], "tool", "src/tool.py"),
    (["mypkg/x.py"], [], "mypkg", "mypkg"),  # the tree holds nothing of it: left as named
    (["src/mypkg/__init__.py"], None, "mypkg", "src/mypkg"),  # no git: the file system
    (["mypkg/x.py"], None, "mypkg", "mypkg"),
])
def test_a_source_name_means_what_the_tree_holds_not_what_lies_on_disk(
    tmp_path: Path, on_disk: list[str], tree: list[str] | None, entry: str, path: str,
) -> None:
    for name in on_disk:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    asked: list[list[str]] = []

    def listing(folder: Path, roots: list[str]) -> list[str] | None:
        assert folder == tmp_path
        asked.append(roots)
        if tree is None:
            return None
        return [file for file in tree
                if any(file == root or file.startswith(root + "/") for root in roots)]

    assert source_path(tmp_path, entry, listing) == path
    assert len(asked) == 1  # one listing for every candidate


def test_a_source_name_is_resolved_by_gits_listing_of_the_tree(tmp_path: Path) -> None:
    # the real listing (run/_git.py: tree_files): tracked files and untracked ones git does
    # not ignore are the tree's; an ignored leftover is not
    import subprocess

    from pytest_pyramid.run._git import tree_files

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("/mypkg/\n")
    for name in ("mypkg/_version.py", "src/mypkg/__init__.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert source_path(tmp_path, "mypkg", tree_files) == "src/mypkg"
    assert source_path(tmp_path, "mypkg") == "mypkg"  # the file system's answer: the leftover
