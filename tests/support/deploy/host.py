"""The deploy host of a test: a folder standing for ``/etc/pyramid`` and the deploy account's
``~/.config/pyramid``.

The host's pins are read from folders the deploying process's environment cannot choose
(pytest_pyramid/deploy/host_pins.py): ``XDG_CONFIG_HOME`` moves nothing, and tests must never
write ``/etc`` or the account's home. So a test's CLI process starts through :func:`argv`, a
launcher that sets ``host_pins.HOST_ROOTS`` in the new process, then calls the CLI's main.
In-process, the pure functions take the folders as ``roots``, and every test process of the
suite reads an empty host (:func:`isolated`, from tests/conftest.py): a developer machine with
pins in ``/etc/pyramid`` or its own ``~/.config/pyramid`` runs the suite as CI does.
"""

from __future__ import annotations

import contextlib
import sys
from importlib.abc import MetaPathFinder
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from importlib.machinery import ModuleSpec
    from pathlib import Path
    from types import ModuleType

#: the launcher: argv[1] is the host folder, the rest the pyramid command line
LAUNCH = ("import sys; from pathlib import Path; from pytest_pyramid.deploy import host_pins; "
          "host_pins.HOST_ROOTS = (Path(sys.argv[1]),); from pytest_pyramid.cli import main; "
          "sys.exit(main(sys.argv[2:]))")


def folder(project_root: Path) -> Path:
    """The host folder of the project at ``project_root`` (beside it: one host per test)."""
    return project_root.parent / "host" / "pyramid"


def argv(host: Path, *args: str, isolated: bool = True) -> list[str]:
    """``pyramid *args`` on a host whose pins are in ``host``; ``isolated``: started as the
    host's launcher starts it, the venv's python ``-I`` (docs/deploy.md, hostile case 221)."""
    return [sys.executable, *(["-I"] if isolated else []), "-c", LAUNCH, str(host), *args]


def pin(host: Path, text: str, name: str = "deploy.toml") -> Path:
    """Write the host file ``name`` (deploy.toml, trusted_keys) with ``text``."""
    host.mkdir(parents=True, exist_ok=True)
    path = host / name
    path.write_text(text)
    return path


#: the module whose ``HOST_ROOTS`` :func:`isolated` sets
HOST_PINS = "pytest_pyramid.deploy.host_pins"


class _SetOnImport(MetaPathFinder):
    """Sets ``HOST_ROOTS`` of :data:`HOST_PINS` as the import system executes it.

    Importing the module up front would load the deploy stage into every test process (a
    test run must not: tests/integration/test_plugin.py), so the roots are set when some test
    imports it, lazily as the CLI does. The other finders find the module; this one only wraps
    the loader they return."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        self.roots = roots

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname != HOST_PINS:
            return None
        for finder in sys.meta_path:
            if isinstance(finder, _SetOnImport) or not hasattr(finder, "find_spec"):
                continue  # one wrap: the innermost isolation's
            spec: ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                self._wrap(spec.loader)
                return spec
        return None

    def _wrap(self, loader: Any) -> None:
        execute, roots = loader.exec_module, self.roots

        def exec_module(module: ModuleType) -> None:
            execute(module)
            vars(module)["HOST_ROOTS"] = roots

        loader.exec_module = exec_module  # this spec's loader only: a fresh one per import


@contextlib.contextmanager
def isolated(empty: Path) -> Iterator[None]:
    """In this process, the host's pins are read from ``empty`` only, whether
    :data:`HOST_PINS` is imported yet or not; a test that sets ``HOST_ROOTS`` itself (with
    ``monkeypatch``) gets ``empty`` back afterwards."""
    finder = _SetOnImport((empty,))
    sys.meta_path.insert(0, finder)
    if (module := sys.modules.get(HOST_PINS)) is not None:
        vars(module)["HOST_ROOTS"] = (empty,)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        if (module := sys.modules.get(HOST_PINS)) is not None:
            vars(module)["HOST_ROOTS"] = None
