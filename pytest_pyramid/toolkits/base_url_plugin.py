"""``base_url`` as a plain session fixture, in place of pytest-playwright's built-in fallback.

Without pytest-base-url, pytest-playwright 0.10 defines ``base_url`` as a method of a plugin
object; pytest 9.2 deprecates session fixtures defined as instance methods, so every test
using ``page`` raises ``PytestRemovedIn10Warning`` under ``filterwarnings = error``. The toolkit
plugin registers this module only when that fallback is the active ``base_url``: same option,
same ini value, same result, no warning. (pytest-base-url's own fixture is left alone.)
"""

from __future__ import annotations

import pytest

PLUGIN_NAME = "pyramid-base-url"
#: The name pytest-playwright registers its fallback under.
PLAYWRIGHT_FALLBACK = "playwright-base-url"


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config) -> str | None:
    """``--pyramid-target``, else ``--base-url``, else the ``base_url`` ini value, else None
    (override it in a conftest). Also registered on its own in a target run."""
    from pytest_pyramid.toolkits.target import target_of

    target = target_of(pytestconfig)
    if target is not None:
        return target.url
    try:
        value = pytestconfig.getoption("--base-url") or pytestconfig.getini("base_url")
    except ValueError:  # neither pytest-playwright nor pytest-base-url registered them
        return None
    return str(value) if value else None
