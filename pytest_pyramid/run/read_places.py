"""Where a file the project's code reads outside the repository may lie (hostile case 350):
an allow-list of places, so bytes no tree holds that existed before the run (a settings file
in the home folder, a stale cache an earlier job left in the temporary folder,
``/etc/myapp.conf``) cannot decide a test unnamed.

Free, whoever reads: the interpreter's environment (``sys.prefix``, the standard library,
site-packages, the user's site-packages: the recorder's scope), the host's system software and
read-only data (:data:`PLATFORM_FOLDERS`, :data:`PLATFORM_FILES`: time zones, certificates,
locales, ``/proc``, ``/sys``, ``/dev``, the name service's files), and the run's own output (a
file created or replaced after the run started: ``tmp_path``, the basetemp, a cache the run
wrote before reading it; judged by the recorder from the file's times). Anything else that
existed before the run and that the project's code asked for (``run/env_reads.py: asker``:
the harness's and libraries' own reads are theirs) is named as an unverifiable entry of the
closed world keyed by :func:`key`, unless the tracked ``allow_options`` vouches for its place
(``"read ~/.config/mypkg/"``: a folder, with its trailing ``/``, or a file).

No pytest import: the recorder (``run/imported.py``) asks it from the audit hook, once per
folder (:func:`free_folder`), and the verdict stage filters with :func:`vouched`.
"""

from __future__ import annotations

import functools
import os
import site
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

#: the host's system software and read-only data: the package manager's folders, the kernel's
#: views, certificate stores, the resolver's folder ``/etc/resolv.conf`` points to
PLATFORM_FOLDERS = (
    "/proc/", "/sys/", "/dev/", "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/",
    "/usr/bin/", "/usr/sbin/", "/usr/lib/", "/usr/lib32/", "/usr/lib64/", "/usr/libx32/",
    "/usr/libexec/", "/usr/share/", "/usr/include/", "/usr/local/share/ca-certificates/",
    "/etc/ssl/", "/etc/pki/", "/etc/ca-certificates/", "/etc/fonts/", "/etc/ld.so.conf.d/",
    "/etc/alternatives/", "/run/systemd/resolve/",
)
#: the host's own files in ``/etc`` that the standard library and the C library read for
#: the platform (time zone, MIME types, name service, users, the OS release); any other file
#: there is an application's settings (``/etc/myapp.conf``): judged
PLATFORM_FILES = frozenset({
    "/etc/localtime", "/etc/timezone", "/etc/mime.types", "/etc/hosts", "/etc/resolv.conf",
    "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf", "/etc/passwd", "/etc/group",
    "/etc/os-release", "/etc/lsb-release", "/etc/debian_version", "/etc/services",
    "/etc/protocols", "/etc/networks", "/etc/locale.alias", "/etc/ld.so.cache",
    "/etc/ld.so.conf", "/etc/machine-id", "/etc/mtab", "/etc/shells", "/etc/hostname",
    "/etc/ca-certificates.conf", "/etc/magic", "/etc/papersize", "/etc/inputrc",
})
#: what an entry of ``allow_options`` starts with to vouch for a place
ALLOW_PREFIX = "read "
#: the closed world's key of a read outside the repository: under the repository's folder,
#: so every route (a partial's relative keys, the merge's checkout) keeps it as it is
_KEY_HEAD, _KEY_TAIL = "<read ", ">"
REASON = ("existed before the run, outside the tree: its bytes decided what the tests did and "
          "no tree holds them")


@functools.cache
def environment_folders() -> tuple[str, ...]:
    """The user's site-packages (``pip install --user``), this plugin's own package and the
    places the environment's editable installs map their code to (``run/loaded.py:
    editable_places``, the allow-list imports are judged by too): the environment's installs,
    wherever their files live. Without them, a project importing an editable install from
    outside its tree (the demo copied to a temporary folder, importing this plugin's
    toolkits) read "files outside the tree" at every import."""
    from pytest_pyramid.run.loaded import PLUGIN_DIR, editable_places

    try:
        user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    except (AttributeError, OSError):
        user = None
    found = (os.path.join(os.path.realpath(user), ""),) if user else ()
    return (*found, PLUGIN_DIR, *(place for place in editable_places()
                                   if place.endswith(os.sep)))


def free_folder(folder: str, environment: tuple[str, ...]) -> bool:
    """Whether files read in ``folder`` (a real path) are free whoever reads them: the
    environment's (``environment``: folders ending in ``/``) or the platform's."""
    return os.path.join(folder, "").startswith((*PLATFORM_FOLDERS, *environment))


def key(root: str, real: str) -> str:
    """The unverifiable entry of a read of ``real`` outside the repository at ``root``."""
    return os.path.join(root, f"{_KEY_HEAD}{real}{_KEY_TAIL}")


def read_path(entry: str) -> str | None:
    """The file a placed entry (:func:`key` made relative, ``<read /x>``) names, else None."""
    if entry.startswith(_KEY_HEAD) and entry.endswith(_KEY_TAIL):
        return entry[len(_KEY_HEAD):-len(_KEY_TAIL)]
    return None


def allowed(allow: Iterable[str]) -> tuple[str, ...]:
    """The places the tracked ``allow_options`` vouches for (``read PATH``: ``~`` is the
    judging account's home; a trailing ``/`` a folder, else one file), absolute only."""
    places = []
    for entry in allow:
        if not entry.startswith(ALLOW_PREFIX):
            continue
        text = entry[len(ALLOW_PREFIX):].strip()
        path = os.path.expanduser(text)
        if os.path.isabs(path):
            folder = text.endswith("/")
            path = os.path.realpath(path)
            places.append(os.path.join(path, "") if folder else path)
    return tuple(places)


def vouched(unverifiable: Mapping[str, str], relative: Callable[[str], str],
            places: tuple[str, ...]) -> dict[str, str]:
    """``unverifiable`` without the reads of the places the project vouched for."""
    if not places:
        return dict(unverifiable)
    kept = {}
    for real, why in unverifiable.items():
        path = read_path(relative(real))
        if path is not None and any(
                path == place or (place.endswith("/") and path.startswith(place))
                for place in places):
            continue
        kept[real] = why
    return kept
