"""The first of our pytest entry points (``_pyramid_install_check``): a foreign
``pytest_pyramid`` in this environment stops pytest here with one line.

setuptools writes a distribution's entry points sorted by name, and pytest loads them in
that order: this name sorts before ``pyramid`` (the plugin, whose module the other project's
entry point names too and whose file it may have replaced) and ``pyramid_markers``. pytest
prints a ``UsageError`` raised while it loads plugins as one ``ERROR: ...`` line, exit 4.
When the other project's entry point is loaded first it imports our ``plugin.py``, which
asks the same question (``foreign.problem``) before anything else.
"""

from __future__ import annotations

from pytest_pyramid.foreign import problem

if (_problem := problem()) is not None:
    import pytest

    raise pytest.UsageError(_problem)
