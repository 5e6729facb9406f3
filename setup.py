"""Ships ``pytest_pyramid_record.pth`` at the top of site-packages, beside the package.

Everything else is declared in pyproject.toml. The ``.pth`` line is the closed world's reach
into the processes the plugin is not loaded in (``pytest_pyramid/run/early.py``): a pytest
process before its plugins load, and the children of a recording run. A wheel holds the file at
its root (``build_py``); an editable install (``pip install -e .``, which ``./dev setup`` uses)
writes only its own ``.pth`` and finder, so the editable wheel is given the file as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

#: sorts after ``__editable__.*.pth``: an editable install's finder is in place when it runs
PTH = "pytest_pyramid_record.pth"
#: when unset and not pytest, one ``os.environ`` lookup and one substring test (run/early.py
#: makes the exact test of the command line; run/child.py follows a run's child)
LINE = (
    "import os, sys; os.environ.get('PYRAMID_RECORD_SPOOL') and"
    " __import__('pytest_pyramid.run.child').run.child.start();"
    " ('pytest' in (_argv := str(sys.orig_argv)) or 'py.test' in _argv)"
    " and __import__('pytest_pyramid.run.early').run.early.start()\n"
)


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # the editable wheel gets it below
            target = Path(self.build_lib, PTH)
            target.write_text(LINE, encoding="utf-8")

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        return outputs if self.editable_mode else [*outputs, str(Path(self.build_lib, PTH))]


class _WithPth:
    """An editable install's strategy, which also writes the ``.pth`` into the wheel."""

    def __init__(self, strategy: Any) -> None:
        self.strategy = strategy

    def __enter__(self) -> _WithPth:
        self.strategy.__enter__()
        return self

    def __exit__(self, *exc: object) -> Any:
        return self.strategy.__exit__(*exc)

    def __call__(self, wheel: Any, files: Any, mapping: Any) -> None:
        self.strategy(wheel, files, mapping)
        wheel.writestr(PTH, LINE)


class EditableWheelWithPth(editable_wheel):
    def _select_strategy(self, *args: Any, **kwargs: Any) -> Any:
        return _WithPth(super()._select_strategy(*args, **kwargs))


setup(cmdclass={"build_py": BuildPyWithPth, "editable_wheel": EditableWheelWithPth})
