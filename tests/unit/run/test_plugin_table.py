"""The plugin allow-list (``pytest_pyramid/run/plugins.py``): every installed ``pytest11``
plugin's distribution has an entry with a reason, so installing a new plugin cannot open a
hole silently (the run would say ``incomplete`` anyway: this test says it first); and the
judgement of a recorded plugin, as a plain table."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import pytest

from pytest_pyramid.run.plugins import OWN_DISTRIBUTION, PLUGINS, normalize, plugin_reasons


def test_every_installed_plugin_distribution_is_in_the_table() -> None:
    installed = {normalize(ep.dist.name) for ep in entry_points(group="pytest11")
                 if ep.dist is not None}
    assert OWN_DISTRIBUTION in installed  # the walk sees the real environment
    assert {"pytest-xdist", "pytest-cov", "pytest-timeout"} <= installed
    unknown = sorted(installed - set(PLUGINS) - {OWN_DISTRIBUTION})
    assert unknown == [], (
        f"installed pytest11 plugins run/plugins.py PLUGINS does not know: {unknown}; add "
        "each with why it leaves outcomes alone, or leave it to projects to declare")


def test_every_entry_has_a_reason_and_a_normalized_name() -> None:
    for name, reason in PLUGINS.items():
        assert name == normalize(name), name
        assert len(reason) > 10, name


def piece(distribution: str | None, file: str = "/site/p.py", module: str = "p"
          ) -> dict[str, Any]:
    return {"module": module, "file": file, "distribution": distribution}


@pytest.mark.parametrize(("code", "declared", "allow", "says"), [
    ([piece("pytest-xdist")], [], [], None),
    ([piece("Pytest_XDist")], [], [], None),
    ([piece(OWN_DISTRIBUTION)], [], [], None),
    ([piece("pytest-skipnet")], [], [], "distribution pytest-skipnet"),
    ([piece("pytest-skipnet")], [], ["plugin pytest-skipnet"], None),
    ([piece("pytest-skipnet")], [], ["-p pytest-skipnet"], "distribution pytest-skipnet"),
    ([piece("pytest-skipnet", module="pytest_skipnet")], ["pytest_skipnet"], [], None),
    ([piece(None, "tests/conftest.py")], [], [], None),
    ([piece(None, "../elsewhere/conftest.py")], [], [], "neither"),
    ([piece(None, "/ci/run.py", "__main__")], [], [], "runs code from /ci/run.py"),
    ([piece(None, "/ci/run.py", "ci_helpers.plug")], [], ["plugin ci_helpers"], None),
    ([piece("pytest-xdist"), piece(None, "/tmp/evil.py")], [], [], "/tmp/evil.py"),
])
def test_a_recorded_plugin_is_judged_by_where_its_code_comes_from(
    code: list[dict[str, Any]], declared: list[str], allow: list[str], says: str | None,
) -> None:
    reasons = plugin_reasons([{"name": "plug", "object": "p", "code": code}], declared, allow)
    if says is None:
        assert reasons == []
    else:
        assert len(reasons) == 1, reasons
        assert says in reasons[0], reasons


@pytest.mark.parametrize(("piece", "says"), [
    # hostile case 314: declared, but its installed bytes are not the tree's file
    pytest.param({"tree": ["plugins/acme/src/acme_pytest.py"], "same": False},
                 "an installed copy of the tree's plugins/acme/src/acme_pytest.py",
                 id="stale-copy-of-the-trees-plugin"),
    pytest.param({"tree": ["plugins/acme/src/acme_pytest.py"]}, "an installed copy",
                 id="no-comparison-recorded"),
    pytest.param({"tree": ["plugins/acme/src/acme_pytest.py"], "same": True}, None,
                 id="the-trees-bytes-installed"),
    pytest.param({}, None, id="the-tree-holds-no-such-module"),
])
def test_a_declared_plugin_is_allowed_for_the_trees_bytes(
    piece: dict[str, Any], says: str | None,
) -> None:
    record = [{"name": "acme", "code": [{
        "module": "acme_pytest", "file": "/venv/site-packages/acme_pytest.py",
        "distribution": "acme-pytest", **piece}]}]
    reasons = plugin_reasons(record, [], ["plugin acme-pytest"])
    if says is None:
        assert reasons == []
    else:
        assert len(reasons) == 1, reasons
        assert says in reasons[0]


@pytest.mark.parametrize(("module", "file", "relative"), [
    ("acme_pytest", "/s/acme_pytest.py", "acme_pytest.py"),
    ("acme", "/s/acme/__init__.py", "acme/__init__.py"),
    ("acme.hooks", "/s/acme/hooks.py", "acme/hooks.py"),
    ("acme", "/s/other.py", None),
])
def test_a_modules_path_is_read_from_its_name(
    module: str, file: str, relative: str | None,
) -> None:
    from pytest_pyramid.run.plugins import _module_path

    assert _module_path(module, file) == relative
