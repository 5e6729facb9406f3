"""Whether a run needs the database fixtures at all: ``[tool.pyramid.services] tiers`` against
the selected tiers. Kept apart (no dataclass, no driver) because every run that loads the
toolkits asks it, also ``--pyramid-tier=fast``, which then imports nothing more."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pytest only where a run asks: the deploy reads the constants beside it
    from collections.abc import Mapping, Sequence

    import pytest


class ServicesConfigError(ValueError):
    """A bad ``[tool.pyramid.services]`` value, named with its key and file."""


def services_tiers(
    table: Mapping[str, object], tier_names: Sequence[str], source: str
) -> tuple[str, ...]:
    """The tiers whose tests use the fixtures (empty: every tier); each must be a tier."""
    where = f"{source}: [tool.pyramid.services]"
    value = table.get("tiers", [])
    if not isinstance(value, list):
        raise ServicesConfigError(f"{where} tiers: {value!r} is not a list")
    tiers = tuple(str(t) for t in value)
    unknown = [t for t in tiers if t not in tier_names]
    if unknown:
        raise ServicesConfigError(
            f"{where} tiers: {unknown[0]!r} is not a tier (tiers: {', '.join(tier_names)})"
        )
    return tiers


def tiers_wanted(tiers: Sequence[str], selected: Sequence[str] | None) -> bool:
    """Whether a run of ``selected`` (None: not known, no pytest-pyramid run) needs the
    fixtures of ``tiers`` (empty: every tier)."""
    return not tiers or selected is None or bool(set(tiers) & set(selected))


def services_wanted(config: pytest.Config) -> bool:
    """Whether the selected tiers use the services (always, without pytest-pyramid's run)."""
    import pytest

    from pytest_pyramid.run.stash import SETTINGS_KEY

    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None:
        return True
    try:
        tiers = services_tiers(settings.raw.get("services", {}), settings.tier_names,
                               settings.source)
    except ServicesConfigError as exc:
        raise pytest.UsageError(f"pytest-pyramid: {exc}") from None
    selected = getattr(config.pluginmanager.get_plugin("pyramid-session"), "selected", None)
    return tiers_wanted(tiers, None if selected is None else tuple(selected))
