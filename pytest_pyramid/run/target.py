"""``--pyramid-target=URL``: a run whose tests talk to a deployed server (pure).

A target run verifies a deployment (the deploy's verify tiers run one against the new
version), never a release: the tests ran against a server the run did not build from its
tree, so its verdict names the target as a completeness problem (``target_run``) and can
never be ``ready``. What the target run itself found (its selected tiers passed, or not) is
:func:`pytest_pyramid.verdict.decision.target_outcome`.

The URL is an origin (``http(s)://host[:port]``): the live-server, ``base_url`` and load
fixtures resolve to it, and a path or query would be silently dropped by some of them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pytest_pyramid.results import record

OPTION = "--pyramid-target"
INI = "pyramid_target"
#: the completeness problem every route gives a target run (verdict/assemble.py)
PROBLEM_KIND = "target_run"


@record(frozen=True)
class Target:
    """A parsed target origin; ``url`` has no trailing slash."""

    scheme: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def parse_target(text: str) -> Target:
    """``http(s)://host[:port]`` -> :class:`Target`; ValueError says what is wrong."""
    value = text.strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("expected http://HOST[:PORT] or https://HOST[:PORT]")
    if not parts.hostname:
        raise ValueError("the URL names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("expected an origin without a path, query or fragment "
                         "(http://HOST[:PORT]): the fixtures resolve to the origin")
    if parts.username or parts.password:
        raise ValueError("credentials in the URL would be written into the verdict")
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port if port is not None else default)


def problem_message(url: str) -> str:
    """The ``target_run`` problem's text: one wording for every route."""
    return (f"a target run ({OPTION}={url}): the tests ran against a deployed server, not "
            "against the code this tree builds, so it verifies a deployment, never a release")
