"""The environment variables the project's own code reads while a run records (issue 19 §1:
a variable the project's tests read is an input, and one the job set that is not the
project's own makes the run incomplete: hostile case 265, a failing test skipped on
``SKIP_BROKEN=1`` from the CI job).

The rule (an allow-list): the project's code learns a variable only through a route the
recorder sees, and a route it cannot follow counts as reading every name present.

- By name: ``os.environ``'s class is swapped for a subclass that notes the name of each read
  (``os.environ[NAME]``, ``.get``, ``os.getenv``, ``in``, ``.pop``, and the same through
  ``os.environb`` / ``os.getenvb``): one set lookup per read, and a walk of the caller's
  frames only on a name's first read, to keep reads by pytest, the installed plugins, the
  standard library and this plugin out (their reads are the table's,
  ``run/invocation.py: ENVIRONMENT``).
- Through a copy or an iteration (``dict(os.environ)``, ``.copy()``, ``{**os.environ}``,
  ``.items()``, ``.keys()``, ``for name in os.environ``) by the project's code: the names
  handed out are :class:`HandedName` (``str``; :class:`HandedBytes` for ``os.environb``), the
  same text that remembers where it came from, so every copy built from them still records.
  The project's code singles a name out when it compares it equal (``==``, a lookup in a
  ``dict`` or ``set`` of them, ``in`` a list of them), tests it and the test holds
  (``startswith``, ``endswith``, a substring ``in``), or derives anything from it (a method,
  ``str()``, formatting, slicing, ``+``): that name is noted. A copy handed on unread
  (``env["X"] = "1"; subprocess.run(env=env)``, pickled, iterated by a library) notes
  nothing: the CI's hundreds of variables stay free. Values carry no mark: a read of one by a
  handed name (the copy's own read-back) is not a read by name.
- Whole-environment routes the recorder cannot follow, by the project's code: the raw table
  (``os.environ._data``, ``os.environ.__dict__``, ``posix.environ``: on POSIX the same
  bytes ``dict`` as ``_data``), ``.values()`` (values without their names) and the text of
  the whole environment (``repr``/``str``/``print(os.environ)``) count as reading every name
  present.

Not followed (documented in docs/verdict.md): uses of a handed name in C code (regular
expressions, ``str.join``, ordering, ``len``, serialisers), a decision on a value reached
without singling out its name (``for k, v in os.environ.items(): if v == ...``), a base
class's method called on purpose (``os._Environ.__getitem__(os.environ, ...)``), reads in C
(``getenv(3)``), and in a child that is not Python (a followed Python child notes its own:
``run/child.py``).

Installed with the closed world's recorder before the first conftest is imported (a
conftest's read at import counts), stopped at the session's end (the gates' and the
writer's own reads are the plugin's). No pytest import: ``run/closed_world.py`` carries it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, ValuesView
from typing import TYPE_CHECKING, Any, ClassVar

from pytest_pyramid.run.facts import FactsRecord, Policy
from pytest_pyramid.run.invocation import ENV_PREFIXES

if TYPE_CHECKING:
    from types import FrameType

#: this plugin's own folder (its reads are the table's)
_PLUGIN_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "")
#: ``os``'s own file (frozen since Python 3.11): its methods read the raw table themselves
_OS_FILE = os.getenv.__code__.co_filename
#: the files a read passes through on its way from the caller (``os.getenv``, ``copy``,
#: ``Mapping.get`` and ``__contains__``, ``MutableMapping.pop``, the views) and this module's
_PASS_THROUGH = frozenset({_OS_FILE, Mapping.get.__code__.co_filename, __file__})


class Sink:
    """The names one recording run's project code read: ``accepts`` says whether a calling
    file is the project's (under the repository, outside the environment: the closed
    world's scope), each answer kept per file."""

    __slots__ = ("accepts", "known", "names")

    def __init__(self, accepts: Any) -> None:
        self.accepts = accepts
        self.names: set[str] = set()
        self.known: dict[str, bool] = {}

    def owns(self, caller: str) -> bool:
        own = self.known.get(caller)
        if own is None:
            own = self.known[caller] = (_compiled_text(caller) or (
                not caller.startswith(_PLUGIN_DIR) and self.accepts(caller) is not None))
        return own

    def note(self, name: str, caller: str) -> None:
        if self.owns(caller):
            self.names.add(name)


def _compiled_text(caller: str) -> bool:
    """Whether the reading frame runs code compiled from a string (``<skipif condition>``,
    ``<string>`` of ``eval``/``exec``, hostile case 343): who wrote the text is not known, and
    pytest's string conditions are the project's marks, so it counts as the project's read.
    Not Python's frozen modules (``<frozen os>``: the table's machinery)."""
    return caller[:1] == "<" and not caller.startswith("<frozen ")


#: the recording runs (a test's own in-process pytest run records beside the outer one)
_SINKS: list[Sink] = []


def _reader() -> FrameType:
    """The nearest frame outside ``os``, the mapping base classes and this module: whoever
    reads."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename in _PASS_THROUGH:
        frame = frame.f_back
    return frame


def _caller() -> str:
    """The file a read is attributed to (:func:`asker`)."""
    return asker(_reader())


def _user() -> str:
    """The file a use of a handed name is attributed to: the nearest frame outside this
    module when it is ``os``'s or the mapping base classes' (the table's machinery: a copy put
    back, a child's environment encoded), else whoever asked for that frame's use."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    name = frame.f_code.co_filename
    return name if name in _PASS_THROUGH else asker(frame)


def _package_dir(module: str) -> str | None:
    """The folder of the installed top-level package ``module``, found without importing it
    (this module imports no pytest)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    places = spec.submodule_search_locations if spec is not None else None
    return os.path.join(next(iter(places)), "") if places else None


#: the harness that runs the project's code: pytest (its hook implementations, fixtures such
#: as ``monkeypatch`` and ``pytester``), pluggy (every hook call) and this plugin. A read
#: reached through one of them before any project frame is the harness's own (its variables
#: are the table's), whatever frames of the project lie further out: the walk stops there.
#: It also keeps the walk short: pytest's own reads stop at their first frame
_HARNESS = (*(d for d in map(_package_dir, ("_pytest", "pytest", "pluggy")) if d), _PLUGIN_DIR)
#: file -> whether it is the harness's (a walk asks it per frame: one dict lookup; keyed by
#: the file name, whose hash ``str`` caches, where a code object's is computed per lookup)
_HARNESS_FILES: dict[str, bool] = {}


def _harness(name: str) -> bool:
    known = _HARNESS_FILES.get(name)
    if known is None:
        known = _HARNESS_FILES[name] = name.startswith(_HARNESS)
    return known


def asker(frame: FrameType) -> str:
    """The file a read made at ``frame`` is attributed to (hostile cases 311, 340, 390): the
    reading frame's own when a recording run owns it (the common case: no walk); else the
    nearest frame outward that is the project's, whatever frames of the standard library or
    an installed package stand between (``os.path.expandvars``, ``string.Template``,
    ``collections.ChainMap``, click's ``envvar=`` read the name the project chose). A chain
    that meets the harness (:data:`_HARNESS`) first leaves the read its reader's (not the
    project's); one that reaches a thread's start continues with whoever started the thread
    or submitted the work item (:func:`_owner`)."""
    return _owner(frame) or frame.f_code.co_filename


#: what :func:`_owner` says of a chain that meets the harness first: nobody's read
_FREE = ""
#: what it says of a thread whose starter's own chain could not be followed to the harness
#: or the project (a thread started from a greenlet's library code): the allow-list's
#: answer, the project's read (a "<...>" name: every recording run owns it, ``Sink.owns``)
_UNKNOWN = "<a thread started by code neither the project's nor the harness's>"
#: the outermost frame of every thread ``threading`` starts (``Thread.start`` runs it)
_BOOTSTRAP = threading.Thread._bootstrap.__code__  # type: ignore[attr-defined]
#: a started thread -> :func:`_owner` of the chain that started it (weak: a thread's record
#: goes with the thread)
_STARTED: weakref.WeakKeyDictionary[threading.Thread, str] = weakref.WeakKeyDictionary()


def _owner(frame: FrameType) -> str | None:
    """The project's file a read at ``frame`` is attributed to, :data:`_FREE` when the
    harness is met first, None when the chain ends at neither (the main thread's first
    frame, a greenlet's root: not followed, the reader's). A chain that ends at a thread's
    start (hostile case 390: ``executor.submit(os.getenv, name)``, whose worker's stack is
    threading -> concurrent.futures -> os) is the thread's starter's (:func:`_thread_owner`);
    one that passes through an executor's work item is its submitter's (:func:`_item_owner`)."""
    walk: FrameType | None = frame
    last = frame
    while walk is not None:
        code = walk.f_code
        name = code.co_filename
        if _project_reads(name):
            return name
        if _harness(name):
            return _FREE
        if code is _ITEM_RUN[0]:
            submitted = _item_owner(walk)
            if submitted is not None:
                return submitted
        last, walk = walk, walk.f_back
    return _thread_owner() if last.f_code is _BOOTSTRAP else None


def _thread_owner() -> str:
    """Who the current thread's reads are attributed to: its starter's chain's owner, noted
    when it started (:func:`_started`). A thread started before any run recorded is the
    harness's (nothing of the project has run before the recorder: pytest-xdist's and
    execnet's threads, a plugin's), so free; every thread started since was seen starting."""
    return _STARTED.get(threading.current_thread(), _FREE)


def _started_by(frame: FrameType) -> str:
    """What a thread (or a work item) started at ``frame`` carries: the starting chain's
    owner, :data:`_UNKNOWN` (the project's, by the allow-list) when that chain ends at
    neither the project nor the harness."""
    owner = _owner(frame)
    return _UNKNOWN if owner is None else owner


#: ``threading.Thread.start`` as it was before a recording run wrapped it
_START: list[Any] = []


def _start(self: threading.Thread) -> None:
    """``Thread.start`` while a run records: notes the starter's owner for the thread's
    reads (one walk per start, to the starter's nearest project or harness frame), and wraps
    ``concurrent.futures``' work items once that module is in use."""
    if _SINKS:
        _STARTED[self] = _started_by(sys._getframe(1))
        if not _ITEM_INIT and _FUTURES_THREAD in sys.modules:
            _wrap_items()
    _START[0](self)


#: the module whose pool threads run work items submitted from other threads
_FUTURES_THREAD = "concurrent.futures.thread"
#: ``_WorkItem.run``'s code (a walk through it asks the item who submitted it)
_ITEM_RUN: list[Any] = [None]
#: ``_WorkItem`` and its ``__init__`` as it was before wrapped
_ITEM_INIT: list[tuple[Any, Any]] = []
#: the attribute a work item carries its submitter's owner in
_SUBMITTER = "_pyramid_submitter"


def _wrap_items() -> None:
    """A pool thread runs the work items of whoever submits them (a pool the harness
    started may run the project's ``os.getenv``): each item notes its submitter's owner."""
    items = sys.modules[_FUTURES_THREAD]._WorkItem
    init = items.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if _SINKS:
            setattr(self, _SUBMITTER, _started_by(sys._getframe(1)))

    _ITEM_INIT[:] = [(items, init)]  # the class: a module may leave ``sys.modules``
    _ITEM_RUN[0] = items.run.__code__
    items.__init__ = __init__


def _item_owner(frame: FrameType) -> str | None:
    """The submitter's owner of the work item ``frame`` (``_WorkItem.run``) runs, if noted."""
    owner = getattr(frame.f_locals.get("self"), _SUBMITTER, None)
    return owner if isinstance(owner, str) else None


def _hook_threads() -> None:
    if not _START:
        _START[:] = [threading.Thread.start]
        threading.Thread.start = _start  # type: ignore[method-assign]
        if _FUTURES_THREAD in sys.modules:
            _wrap_items()


def _unhook_threads() -> None:
    if _START:
        threading.Thread.start = _START.pop()  # type: ignore[method-assign]
    if _ITEM_INIT:
        items, init = _ITEM_INIT.pop()
        items.__init__ = init
        _ITEM_RUN[0] = None


def _single_out(name: str) -> None:
    """The project's code singled out a name the environment handed it (picked it from a
    copy). ``os``'s and the mapping base classes' own uses are the table's machinery (a
    copy put back with ``os.environ.update(saved)`` encodes every name): not noted."""
    if name.startswith(ENV_PREFIXES):  # the table's prefixes are judged as set
        return
    caller = None
    for sink in _SINKS:
        if name not in sink.names:
            caller = caller or _user()
            if caller not in _PASS_THROUGH:
                sink.note(name, caller)


def _project_reads(caller: str) -> bool:
    return any(sink.owns(caller) for sink in _SINKS)


def _read_everything() -> None:
    """A route the recorder cannot follow, taken by the project's code: every name present
    counts as read."""
    _note_present(_caller(), _always)


def _note_present(caller: str, keep: Any) -> None:
    """Note the names present that ``keep`` accepts into the sinks owning ``caller``."""
    if not _project_reads(caller):
        return
    names = [os.fsdecode(key) for key in _INSTANCE(os.environ)["_data"]]
    for sink in _SINKS:
        if sink.owns(caller):  # each through ``note``: a followed child's sink spools them
            for name in names:
                if not name.startswith(ENV_PREFIXES) and keep(name):
                    sink.note(name, caller)


def _proxy_variable(name: str) -> bool:
    return name.lower().endswith("_proxy")


#: the iterations of the environment by a library whose reading is known, with the names it
#: reads: (file, function) -> which names. urllib's proxy scan (``urlopen``, requests,
#: httpx) lowers every name it lists and keeps the ``<scheme>_proxy`` ones
_SCANS: dict[tuple[str | None, str], Any] = {
    (getattr(importlib.util.find_spec("urllib.request"), "origin", None),
     "getproxies_environment"): _proxy_variable,
}


#: ``subprocess`` handing this process's own environment to a child as it is (``env=None``
#: or ``env=os.environ``): ``os.posix_spawn``'s route lists it in Python (Python 3.13's usual
#: route; 3.8+ with ``close_fds=False``), ``fork_exec``'s mostly does not. Either way the
#: child inherits the environment, which reads nothing (a followed child's reads are its
#: own, judged as the run's); counted as reads, every test starting a child on 3.13 named
#: every variable of the job
_HANDING_DOWN = frozenset({"_posix_spawn", "_execute_child"})
_SUBPROCESS_FILE = getattr(importlib.util.find_spec("subprocess"), "origin", None)


def _handed_down(frame: FrameType) -> bool:
    code = frame.f_code
    return code.co_name in _HANDING_DOWN and code.co_filename == _SUBPROCESS_FILE


def _carried_iteration(frame: FrameType, asked: str) -> None:
    """A library iterates the environment for the project's code at ``asked`` (``fnmatch.filter
    (os.environ, ...)``, a settings library's scan, a copy it makes): what it does with each
    name (a regular expression, ``lower()``) is its own code, which the recorder does not
    follow, so every name present counts as read (the allow-list rule); a scan known to read
    only some names (:data:`_SCANS`) notes those."""
    code = frame.f_code
    _note_present(asked, _SCANS.get((code.co_filename, code.co_name), _always))


def _handed_method(base: type, attr: str, singles_out: Any, text: Any) -> Any:
    """``base``'s method ``attr`` that notes the name when ``singles_out(result)``."""
    method = getattr(base, attr)

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        if singles_out(result):
            _single_out(text(self))
        return result

    call.__name__ = call.__qualname__ = attr
    return call


def _always(_: object) -> bool:
    return True


#: a handed name's uses that single it out only when they hold (a lookup in a copy compares
#: equal; a prefix filter picks the names it keeps); every other use derives from its text
_TESTS: dict[str, Any] = {"__eq__": lambda r: r is True, "__ne__": lambda r: r is False,
                          "__contains__": bool, "startswith": bool, "endswith": bool}
#: the slot uses of a handed name that give its text away (``str()``, formatting, slicing,
#: iterating its characters, ``+``, ``%``, ``*``): each singles it out
_SLOTS = ("__str__", "__repr__", "__format__", "__getitem__", "__iter__", "__add__",
          "__mod__", "__mul__", "__rmul__", "__bytes__")
#: attributes a handed name gives without singling itself out: its class, pickling (a copy
#: handed to a child process), and the uses above that note by their own result
_QUIET = frozenset({"__class__", "__reduce__", "__reduce_ex__", "__getnewargs__",
                    "__getstate__", "__deepcopy__", "__copy__",
                    *_TESTS, *_SLOTS})


def _handed_class(name: str, base: Any, text: Any) -> type:
    """A subclass of ``str`` or ``bytes`` for the names the environment hands out to the
    project's code: hashed and equal as ``base``, noting the name when singled out."""

    def __getattribute__(self: Any, attr: str) -> Any:
        if attr not in _QUIET:  # a method that derives from the text (``lower``, ``split``)
            _single_out(text(self))
        return object.__getattribute__(self, attr)

    def __reduce__(self: Any) -> Any:  # a copy handed to a child arrives as plain text
        return (base, (base.__getitem__(self, slice(None)),))

    def __copy__(self: Any, *_: Any) -> Any:  # a copy of a copy still records
        return self

    namespace: dict[str, Any] = {
        "__slots__": (), "__hash__": base.__hash__, "__getattribute__": __getattribute__,
        "__reduce__": __reduce__, "__copy__": __copy__, "__deepcopy__": __copy__,
        **{attr: _handed_method(base, attr, test, text) for attr, test in _TESTS.items()},
        **{attr: _handed_method(base, attr, _always, text) for attr in _SLOTS
           if hasattr(base, attr)},
    }
    return type(name, (base,), namespace)


#: a name ``os.environ`` handed out to the project's code
HandedName: type = _handed_class("HandedName", str, str.__str__)
#: a name ``os.environb`` handed out (the same variables' bytes)
HandedBytes: type = _handed_class(
    "HandedBytes", bytes, lambda b: bytes.decode(b, sys.getfilesystemencoding(), "surrogateescape"))
#: a handed name's plain text (a full slice of the base class is a copy of it)
_PLAIN: dict[type, Any] = {HandedName: lambda k: str.__getitem__(k, slice(None)),
                           HandedBytes: lambda k: bytes.__getitem__(k, slice(None))}

#: whether PyYAML's representers know the handed names (once per process)
_YAML_PLAIN: list[bool] = []


def _represent_plain(dumper: Any, name: Any) -> Any:
    """A handed name as PyYAML writes its plain text (no use of the name: handed on)."""
    return dumper.represent_data(_PLAIN[type(name)](name))


def _plain_for_yaml() -> None:
    """PyYAML's representers match a value's exact type, so a copy of the environment the
    project's code made (keys :class:`HandedName`) failed ``yaml.safe_dump`` under the plugin
    alone: the plugin must not change what a test sees beyond what it records. Each
    representer class with a table of its own (``SafeDumper``'s, ``Dumper``'s, a project's
    subclass that added one) writes a handed name as its plain text; a class made later
    copies its parent's table. Done when the project first copies the environment with
    PyYAML imported (a copy made before PyYAML's import and dumped after is not covered)."""
    representer = sys.modules.get("yaml.representer")
    if representer is None:
        return
    _YAML_PLAIN.append(True)
    classes = [representer.BaseRepresenter]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        if "yaml_representers" in vars(cls):
            for handed in _PLAIN:
                cls.add_representer(handed, _represent_plain)


#: the read itself (bound once: no ``super()`` per read)
_GET = os._Environ.__getitem__
_ITER = os._Environ.__iter__
_REPR = os._Environ.__repr__
#: an ``_Environ``'s own attributes, bypassing the class's ``_data`` property
_INSTANCE = os._Environ.__dict__["__dict__"].__get__


#: each view's table and its key's and value's codecs (``id`` of the view -> them): bound
#: once, a read pays for no attribute lookup
_PARTS: dict[int, tuple[Any, Any, Any]] = {}


def _parts(view: object) -> tuple[Any, Any, Any]:
    own = _INSTANCE(view)
    return own["_data"], own["encodekey"], own["decodevalue"]


#: the plain names the environment's last iteration by other code handed out (id -> name,
#: held so an id is not reused while here): its copy reads each back, and they are not the
#: project's reads (no frame walk per name)
_LISTED: list[dict[int, object]] = [{}]


def _listed(keys: Iterator[Any]) -> Iterator[Any]:
    listed: dict[int, object] = {}
    _LISTED[0] = listed
    for key in keys:
        listed[id(key)] = key
        yield key


def _name(key: object) -> object:
    """A variable's name as text: ``os.environb``'s bytes decoded, a ``str`` subclass (an
    enumeration's member) as its plain text."""
    if isinstance(key, bytes):
        return os.fsdecode(key)
    return str.__str__(key) if isinstance(key, str) else key


class RecordingEnviron(os._Environ):  # type: ignore[type-arg]
    """``os.environ`` while a run records; the same object, its class swapped."""

    def __getitem__(self, key: Any) -> Any:
        # the table's prefixes are judged whoever reads them (pytest's own pop of
        # PYTEST_CURRENT_TEST after each phase walks no frame); ``os.environb``'s keys are
        # bytes, the same variables (``os.getenvb``)
        kind = type(key)
        if kind is str or kind not in _PLAIN:
            name = key if kind is str else _name(key)
            for sink in _SINKS:  # a name read before costs one set lookup
                if name not in sink.names and _LISTED[0].get(id(key)) is not key \
                        and isinstance(name, str) and not name.startswith(ENV_PREFIXES):
                    sink.note(name, _caller())
        else:  # a copy being made reads back what it listed: no read by name (its lookups
            key = _PLAIN[kind](key)  # note the name), and no use of the name here
        # ``os._Environ.__getitem__``'s read, not through the ``_data`` property below
        data, encode, decode = _PARTS.get(id(self)) or _parts(self)
        try:
            value = data[encode(key)]
        except KeyError:
            raise KeyError(key) from None
        return decode(value)

    def __iter__(self) -> Iterator[Any]:
        keys = _ITER(self)
        frame = _reader()
        if _handed_down(frame):
            return _listed(keys)
        asked = asker(frame)
        if not _project_reads(asked):  # pytest's, a plugin's, the standard library's:
            return _listed(keys)       # plain names
        if asked != frame.f_code.co_filename:  # a library iterates for the project
            _carried_iteration(frame, asked)
            return _listed(keys)
        if not _YAML_PLAIN:
            _plain_for_yaml()
        return (HandedBytes(key) if isinstance(key, bytes) else HandedName(key)
                for key in keys)

    def values(self) -> ValuesView[Any]:
        if not _handed_down(_reader()):
            _read_everything()  # values without their names: any of them may decide
        return super().values()

    def __repr__(self) -> str:
        _read_everything()  # the whole environment's text
        return _REPR(self)

    @property
    def _data(self) -> dict[Any, Any]:
        """The raw table: ``os``'s own methods read it; the project's code reading it is a
        route the recorder cannot follow."""
        if sys._getframe(1).f_code.co_filename != _OS_FILE:
            _read_everything()
        data: dict[Any, Any] = _INSTANCE(self)["_data"]
        return data

    @_data.setter
    def _data(self, table: dict[Any, Any]) -> None:  # a table of the project's own
        _INSTANCE(self)["_data"] = table
        if id(self) in _PARTS:
            _PARTS[id(self)] = _parts(self)

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        _read_everything()  # ``vars(os.environ)["_data"]``: the raw table
        return _INSTANCE(self)  # type: ignore[no-any-return]


#: the class ``os.environ`` had before the first recording run swapped it
_ORIGINAL: list[type] = []


#: both views of the process's environment: ``os.environ`` and its bytes twin (a read through
#: ``os.environb`` is a read of the same variable, and was not noted)
_VIEWS = (os.environ, os.environb) if os.supports_bytes_environ else (os.environ,)
#: the interpreter's own module (``posix``, ``nt``): its ``environ`` is the raw table too
_RAW_MODULE = sys.modules.get(os.name)


def _raw_table(attr: str) -> Any:
    """``posix.environ`` while a run records (the module's ``__getattr__``: the attribute is
    held aside): a read of the raw table by the project's code is of every name."""
    if attr != "environ":
        raise AttributeError(f"module {os.name!r} has no attribute {attr!r}")
    _read_everything()
    return _HELD[0]


#: ``posix.environ`` held aside while a run records
_HELD: list[Any] = []


def _hold_raw_module() -> None:
    module = vars(_RAW_MODULE) if _RAW_MODULE is not None else {}
    if "environ" in module and "__getattr__" not in module:
        _HELD[:] = [module.pop("environ")]
        module["__getattr__"] = _raw_table


def _give_back_raw_module() -> None:
    if _HELD and _RAW_MODULE is not None:
        module = vars(_RAW_MODULE)
        module.pop("__getattr__", None)
        module["environ"] = _HELD.pop()


def start(sink: Sink) -> None:
    """Note the reads of the project's code into ``sink`` from now on."""
    if not _SINKS and type(os.environ) is not RecordingEnviron:
        _ORIGINAL[:] = [type(view) for view in _VIEWS]
        for view in _VIEWS:
            view.__class__ = RecordingEnviron
            _PARTS[id(view)] = _parts(view)
        _hold_raw_module()
        _hook_threads()
    if sink not in _SINKS:
        _SINKS.append(sink)


def stop(sink: Sink) -> None:
    """Stop noting into ``sink``; the last one gives the environment its class back."""
    if sink in _SINKS:
        _SINKS.remove(sink)
    if not _SINKS and _ORIGINAL and type(os.environ) is RecordingEnviron:
        for view, original in zip(_VIEWS, _ORIGINAL, strict=True):
            view.__class__ = original
        _PARTS.clear()
        _LISTED[0] = {}
        _give_back_raw_module()
        _unhook_threads()


def recording(sink: Sink) -> bool:
    """Whether ``sink`` notes reads now (between :func:`start` and :func:`stop`)."""
    return sink in _SINKS


def set_at_start(read: Iterable[str], started: Any) -> list[str]:
    """The names read that the run's starting environment held (values never): a name that
    was not set came from no job (the test's own default)."""
    return sorted(name for name in read if name in started)


class EnvReads(FactsRecord):
    """The names each process's project code read (the union over every process)."""

    POLICIES: ClassVar[dict[str, Policy]] = {"names": "union"}

    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    @property
    def names(self) -> set[str]:
        return self.sink.names

    @names.setter
    def names(self, value: set[str]) -> None:
        self.sink.names = value
