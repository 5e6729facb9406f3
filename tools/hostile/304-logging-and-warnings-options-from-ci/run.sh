#!/usr/bin/env bash
source "$(dirname "$0")/../_preamble.sh"
# Options a CI script adds "for the logs" change what a test sees. pytest's logging options set
# the root logger's level while the tests run (`catching_logs(..., level=...)` takes the
# minimum of the live-log, log-file and capture levels), so a record the project's code emits
# at INFO reaches `caplog` only when the job asked for INFO somewhere; `--log-disable NAME`
# turns a logger off, so `caplog` never sees its errors; `-p no:warnings` turns off pytest's
# warnings plugin, and with it the project's tracked `filterwarnings = ["error"]`.
# The promise: "CI scripts that pass extra options: options, PYTEST_ADDOPTS, -p plugins, -o
# overrides ... that narrow or change the judgement give incomplete, naming them"; `-p no:NAME`
# only for plugins the table knows as harmless to leave out.
# The tests (each row's file): test_retry_is_logged asserts the INFO record "retrying" is
# captured (fails without an option: the root logger is at WARNING); test_no_error_logged
# asserts no ERROR record (fails: handle() logs one); test_no_deprecation fails under the
# tracked filterwarnings=error (process() warns DeprecationWarning).
# Rows: (a) control, no option: blocked; (b) --log-level=INFO; (c) --log-cli-level=INFO;
# (d) --log-file=ci.log --log-file-level=DEBUG (keep the log as a CI artifact); (e) -o
# log_level=INFO; (f) PYTEST_ADDOPTS=--log-level=INFO; (g) --log-disable=mypkg (for the
# no-error test); (h) -p no:warnings (for the deprecation test); (i) -p no:unraisableexception
# (a4: a `__del__` that raises, an error under filterwarnings=error); (j) -p no:threadexception
# (a5: an assertion failing in a thread the test joins).
# Expected: no row `ready` (each row runs one test that fails without the row's option).
base_project
printf 'pyramid-verdict*\npyramid-results*\n.pyramid/\nci.log\n' >> .gitignore
"$PY" - <<'X'
import pathlib
p = pathlib.Path("pyproject.toml")
p.write_text(p.read_text().replace('pythonpath = ["."]', 'pythonpath = ["."]\nfilterwarnings = ["error"]'))
X
w mypkg/core.py <<'X'
import logging
import warnings

log = logging.getLogger("mypkg")


def add(a, b):
    return a + b


def fetch():
    log.info("retrying")  # the retry the test wants to see; a bug removed the actual retry
    return None


def handle():
    log.error("bad input")  # the bug the no-error test exists to catch
    return 1


def process():
    warnings.warn("process() is deprecated", DeprecationWarning, stacklevel=2)
    return 1
X
commit init
t_retry='import mypkg.core as core
def test_retry_is_logged(caplog):
    core.fetch()
    assert "retrying" in caplog.text'
t_noerr='import logging
import mypkg.core as core
def test_no_error_logged(caplog):
    assert core.handle() == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]'
t_warn='import mypkg.core as core
def test_no_deprecation():
    assert core.process() == 1'
t_unraisable='import mypkg.core as core
class Conn:
    def __del__(self):
        raise RuntimeError("connection leaked: close() was never called")
def test_conn_closed():
    c = Conn()
    del c
    assert core.add(1, 1) == 2'
t_thread='import threading
import mypkg.core as core
def test_worker():
    def work():
        assert core.add(2, 2) == 5, "the worker computed the wrong total"
    t = threading.Thread(target=work)
    t.start()
    t.join()'
erow() {  # erow LABEL BODY [env VAR=..] -- args
  local label=$1 body=$2; shift 2
  printf '%s\n' "$body" > tests/integration/test_row.py; commit "row $label"
  env "$@" > "$W/pytest-$label.out" 2>&1; local e=$?
  local d; d=$(decision)
  echo "row $label: pytest exit=$e decision=$d | $(tail -1 "$W/pytest-$label.out" | cut -c1-60) | $(show 2>/dev/null | grep -m1 -E 'problem|reason' | cut -c1-150)"
  [ "$d" = ready ] && BROKEN_ROWS="$BROKEN_ROWS $label"
}
P="$PY -m pytest -q -p no:cacheprovider"
erow a  "$t_retry" $P
erow a2 "$t_noerr" $P
erow a3 "$t_warn" $P
erow b  "$t_retry" $P --log-level=INFO
erow c  "$t_retry" $P --log-cli-level=INFO
erow d  "$t_retry" $P --log-file=ci.log --log-file-level=DEBUG
erow e  "$t_retry" $P -o log_level=INFO
erow f  "$t_retry" PYTEST_ADDOPTS=--log-level=INFO $P
erow g  "$t_noerr" $P --log-disable=mypkg
erow h  "$t_warn" $P -p no:warnings
erow a4 "$t_unraisable" $P
erow i  "$t_unraisable" $P -p no:unraisableexception
erow a5 "$t_thread" $P
erow j  "$t_thread" $P -p no:threadexception
if echo "$BROKEN_ROWS" | grep -qwE 'a|a2|a3|a4|a5'; then echo "RESULT: VACUOUS (a control row was ready:$BROKEN_ROWS)"
elif [ -n "$BROKEN_ROWS" ]; then echo "RESULT: BROKEN (rows$BROKEN_ROWS: a logging/warnings option from the job turned a failing test into a pass and the run is ready: the option is classified as output-only)"
else echo "RESULT: HELD"; fi
