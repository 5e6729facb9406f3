"""One record per plugin registration (``run/plugins.py: PluginsSeen.record_new``): the
start's record (the invocation's) is not made again at the end of collection, yet every
registration made since - a new object, the same object under a new name, an object that
took the place of an unregistered one - is recorded. A real pluggy manager, in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy

from pytest_pyramid.run.plugins import PluginsSeen

hookimpl = pluggy.HookimplMarker("pytest")
HERE = Path(__file__).resolve()
ROOT = HERE.parents[3]


class Spec:
    @pluggy.HookspecMarker("pytest")
    def pytest_demo(self) -> None: ...


class Plugin:
    @hookimpl
    def pytest_demo(self) -> None: ...


def names(records: list[dict[str, Any]]) -> list[str]:
    return sorted(str(r["name"]) for r in records)


def test_a_registration_is_recorded_once_and_every_later_one_is_recorded() -> None:
    manager = pluggy.PluginManager("pytest")
    manager.add_hookspecs(Spec)
    first = Plugin()
    manager.register(first, name="first")
    seen = PluginsSeen()

    plugins, _ = seen.record_new(manager, ROOT)
    assert names(plugins) == ["first"]
    # the plugin's code, as every record holds it: its class's file, relative to the tree
    assert {p["file"] for p in plugins[0]["code"]} == {
        HERE.relative_to(ROOT).as_posix()}
    assert seen.record_new(manager, ROOT) == ([], [])  # nothing registered since

    second = Plugin()
    manager.register(second, name="second")
    assert names(seen.record_new(manager, ROOT)[0]) == ["second"]

    manager.unregister(first)
    manager.register(first, name="renamed")  # the same object under another name
    assert names(seen.record_new(manager, ROOT)[0]) == ["renamed"]

    manager.unregister(second)
    manager.register(Plugin(), name="second")  # another object under a recorded name
    assert names(seen.record_new(manager, ROOT)[0]) == ["second"]


def test_observe_adds_only_new_registrations_and_keeps_the_earlier_ones() -> None:
    manager = pluggy.PluginManager("pytest")
    manager.add_hookspecs(Spec)
    manager.register(Plugin(), name="at-start")
    seen = PluginsSeen()
    start, _ = seen.record_new(manager, ROOT)  # the invocation's record, at session start
    manager.register(Plugin(), name="from-a-conftest")
    seen.observe(manager, ROOT)
    assert names(list(seen.plugins.values())) == ["from-a-conftest"]
    record: dict[str, Any] = {"plugins": start}
    seen.fold_into(record)  # what the run hands on holds both, each once
    assert names(record["plugins"]) == ["at-start", "from-a-conftest"]


class ClassPlugin:
    """Registered as the class itself, its hooks static methods (pytest 8.4 registers its
    ``LegacyTmpdirPlugin`` so)."""

    @staticmethod
    @hookimpl
    def pytest_demo() -> None: ...


def test_a_plugin_registered_as_a_class_is_its_own_module_s() -> None:
    # type() of a class is `type`, from builtins, which no file holds: every pytest 8.4 run
    # was incomplete, naming "legacypath-tmpdir runs code from an unknown file"
    manager = pluggy.PluginManager("pytest")
    manager.add_hookspecs(Spec)
    manager.register(ClassPlugin, name="classy")
    plugins, _ = PluginsSeen().record_new(manager, ROOT)
    assert [p["object"] for p in plugins] == [f"{__name__}.ClassPlugin"]
    assert {(c["module"], c["file"]) for c in plugins[0]["code"]} == {
        (__name__, HERE.relative_to(ROOT).as_posix())}
