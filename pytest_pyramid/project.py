"""The project loader: where a project's pytest-pyramid configuration is, and its one reading.

Every entry point finds and reads the configuration here and nowhere else (the plugin,
``pyramid check``, ``config check``, ``merge``, ``report``, ``history``, ``init`` and every
deploy command; ``tests/unit/test_architecture.py`` fails on a ``tomllib`` read anywhere else):

- :func:`locate` finds it from a start folder upward: in each folder, ``pyproject.toml``
  with a ``[tool.pyramid]`` table, else a standalone ``pyramid.toml`` (for projects
  configured in setup.cfg or tox.ini, whose ini cannot hold tables); both in one folder is
  an error, since one of them would be silently ignored.
- :func:`load` turns a start folder or a named file into a :class:`Project`, whose
  :attr:`Project.settings` are validated once (the whole table against the schema, the
  deploy part included, then what a schema cannot say). The later stages validate their own
  parts from the same :class:`Project` (gates, coverage, deploy), each when it is needed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_pyramid.errors import ConfigError, PyramidError
from pytest_pyramid.results import record

if TYPE_CHECKING:
    from pytest_pyramid.config import Settings, TreeListing
    from pytest_pyramid.schema_passes import SchemaPasses

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
#: the standalone configuration file, read when pyproject.toml has no [tool.pyramid]
STANDALONE = "pyramid.toml"


class NoProject(PyramidError):
    """No project configuration at or above the start folder."""

    def __init__(self, start: Path, why: str | None = None) -> None:
        self.start = start
        super().__init__(f"{start}: " + (why or f"no {PYPROJECT} with [tool.pyramid] and no "
                                         f"{STANDALONE} here or above"))


def is_standalone(path: Path | str) -> bool:
    return str(path).replace("\\", "/").rsplit("/", 1)[-1] == STANDALONE


def read_document(path: Path) -> Mapping[str, Any] | None:
    """The parsed TOML file at ``path`` (None when it does not exist): the one ``tomllib``
    read of a project's files. Cached on the file's size and mtime: an entry point reads the
    same file for several parts."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read(path: str, _mtime_ns: int, _size: int) -> Mapping[str, Any] | None:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (FileNotFoundError, IsADirectoryError):
        return None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError("<file>", path, path, f"invalid TOML: {exc}") from exc


def table_of(document: Mapping[str, Any], source: str) -> Mapping[str, Any] | None:
    """The pytest-pyramid table of a parsed file: a ``pyramid.toml``'s top level, else
    ``[tool.pyramid]`` (None when absent)."""
    if is_standalone(source):
        return document
    tool = document.get("tool", {})
    table = tool.get("pyramid") if isinstance(tool, Mapping) else None
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError("tool.pyramid", table, source, "must be a table")
    return table


def table_from_text(text: str, source: str) -> Mapping[str, Any] | None:
    """The pytest-pyramid table of a project file's text (e.g. as a commit holds it)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("<file>", source, source, f"invalid TOML: {exc}") from exc
    return table_of(document, source)


def read_table(path: Path) -> Mapping[str, Any] | None:
    """The pytest-pyramid table of ``path`` (pyproject.toml or pyramid.toml), or None when the
    file or table is absent."""
    document = read_document(path)
    return None if document is None else table_of(document, str(path))


#: pytest's own configuration files, in the order pytest looks for them in a folder, and the
#: ini section each holds (pyproject.toml: [tool.pytest.ini_options])
PYTEST_INI_FILES = (("pytest.ini", "pytest"), (".pytest.ini", "pytest"), (PYPROJECT, None),
                    ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))


def pytest_ini(folder: Path) -> tuple[str, Mapping[str, Any]] | None:
    """pytest's configuration in ``folder``: the first file pytest would take (pytest.ini,
    pyproject.toml's ``[tool.pytest.ini_options]``, tox.ini, setup.cfg) and its options
    as written (ini values are text); None when no file there configures pytest."""
    for file, section in PYTEST_INI_FILES:
        path = folder / file
        options = _pytest_options(path, section) if path.is_file() else None
        if options is not None:
            return file, options
    return None


def pytest_ini_option(folder: Path, name: str) -> str | None:
    """``name`` of pytest's configuration in ``folder`` (:func:`pytest_ini`), as the run
    read it; None when unset or empty. A ``pyramid.toml`` project keeps its pytest settings
    in one of the ini files."""
    found = pytest_ini(folder)
    value = found[1].get(name) if found is not None else None
    return value if isinstance(value, str) and value.strip() else None


def _pytest_options(path: Path, section: str | None) -> Mapping[str, Any] | None:
    """The pytest options ``path`` holds, None when it holds none (pytest looks further)."""
    if section is None:
        tool = (read_document(path) or {}).get("tool")
        pytest_table = tool.get("pytest") if isinstance(tool, Mapping) else None
        if not isinstance(pytest_table, Mapping):
            return None
        ini = pytest_table.get("ini_options")  # else pytest 9's native [tool.pytest]
        return ini if isinstance(ini, Mapping) else pytest_table
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError("<file>", str(path), str(path), f"unreadable: {exc}") from None
    if not parser.has_section(section):
        # pytest.ini is pytest's even without the section; tox.ini and setup.cfg are not
        return {} if path.name in ("pytest.ini", ".pytest.ini") else None
    return dict(parser.items(section))


@record(frozen=True)
class ProjectFile:
    """The file that configures pytest-pyramid, and its table."""

    path: Path
    table: Mapping[str, Any]

    @property
    def folder(self) -> Path:
        return self.path.parent


def configured_folder(source: str | Path) -> Path:
    """The folder a project's configuration file was found in: real up to that folder, not
    through the file itself. A configuration shared by a symlink (``services/b/pyproject.toml
    -> ../a/pyproject.toml``) configures the folder it was found in: the run's project, whose
    verdict goes beside it and whose relative paths start there (hostile case 160: b's run
    wrote its verdict into ``services/a`` and named project ``services/a``)."""
    return Path(source).parent.resolve()


def in_folder(folder: Path) -> ProjectFile | None:
    """The configuration of the project in ``folder`` itself (see the module's rule)."""
    pyproject, standalone = folder / PYPROJECT, folder / STANDALONE
    table = read_table(pyproject)
    if table is not None:
        if standalone.is_file():
            raise ConfigError(
                "<file>", str(standalone), str(standalone),
                f"{pyproject} has a [tool.pyramid] table too; keep one of them",
            )
        return ProjectFile(pyproject, table)
    table = read_table(standalone)
    return ProjectFile(standalone, table) if table is not None else None


def locate(start: Path, *, upward: bool = True) -> ProjectFile | None:
    """The nearest project configuration at ``start`` or (``upward``) above it."""
    folders = (start, *start.resolve().parents) if upward else (start,)
    for folder in folders:
        found = in_folder(folder)
        if found is not None:
            return found
    return None


def named(path: Path) -> ProjectFile:
    """A project file given by name (``--config``): it must exist and hold the table."""
    if path.is_dir():
        found = in_folder(path)
        if found is None:
            raise NoProject(path, f"no {PYPROJECT} with [tool.pyramid] and no {STANDALONE}")
        return found
    if not path.is_file():
        raise NoProject(path, "no such file")
    table = read_table(path)
    if table is None:
        raise NoProject(path, "has no [tool.pyramid] table")
    return ProjectFile(path, table)


@record
class Project:
    """A located project; each part is validated once, when first asked for."""

    file: ProjectFile
    _settings: Settings | None = field(default=None, repr=False)
    #: what the tree holds (``config.py: source_path`` resolves ``source`` against it);
    #: None: the file system (a caller that cannot run git)
    tree: TreeListing | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def source(self) -> str:
        return str(self.file.path)

    @property
    def folder(self) -> Path:
        return self.file.folder

    @property
    def table(self) -> Mapping[str, Any]:
        return self.file.table

    @property
    def settings(self) -> Settings:
        """``[tool.pyramid]`` validated (see :meth:`settings_for`), rooted at its folder."""
        if self._settings is None:
            self._settings = self.settings_for({}, configured_folder(self.path))
        return self._settings

    def settings_for(
        self,
        overrides: Mapping[str, object],
        rootdir: Path,
        *,
        schema_checked: bool = False,
        passes: SchemaPasses | None = None,
    ) -> Settings:
        """The table validated: against the schema (every part, deploy included; skipped when
        ``schema_checked``: an xdist worker's controller checked it), then the rules a schema
        cannot express. ``overrides``: ini options, which win over the table's scalars."""
        from pytest_pyramid.config import parse_settings

        return parse_settings(self.table, self.source, rootdir, overrides,
                              schema_checked=schema_checked, passes=passes, tree=self.tree)


def load(start: Path | None = None, *, config: Path | None = None,
         tree: TreeListing | None = None) -> Project:
    """The project of ``config`` (a named file or folder), else the nearest one at or above
    ``start`` (default: the current folder). :class:`NoProject` when there is none.
    ``tree``: what the tree holds (:attr:`Project.tree`)."""
    if config is not None:
        return Project(named(config), tree=tree)
    here = Path.cwd() if start is None else start
    found = locate(here)
    if found is None:
        raise NoProject(here)
    return Project(found, tree=tree)


def load_optional(start: Path | None = None, *, config: Path | None = None) -> Project | None:
    """As :func:`load`, but None when no project is found above ``start`` (commands that
    work with defaults)."""
    if config is not None:
        return load(config=config)
    found = locate(Path.cwd() if start is None else start)
    return None if found is None else Project(found)
