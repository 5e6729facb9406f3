#!/usr/bin/env bash
# the shared preamble: a fresh project under this case's work/ (PY, PYR, w, commit, base_project ...)
source "$(dirname "$0")/../_preamble.sh"
# A TLS test loads its server certificate and key from tests/certs/ (generated locally, git-ignored:
# `*.pem` in .gitignore is common). OpenSSL reads the files in C: no `open` audit event.
# Expected: not ready (a clean clone has no certificate: the test errors there).
base_project
printf '*.pem\n' >> .gitignore
w tests/integration/test_tls.py <<'X'
import ssl
from pathlib import Path

CERTS = Path(__file__).parents[1] / "certs"

def test_server_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERTS / "server.pem", CERTS / "server-key.pem")
    assert ctx.cert_store_stats() is not None
X
commit init
mkdir -p tests/certs
openssl req -x509 -newkey rsa:2048 -nodes -keyout tests/certs/server-key.pem -out tests/certs/server.pem -days 2 -subj /CN=localhost >/dev/null 2>&1
"$PY" -m pytest -q -p no:cacheprovider > "$W/pytest.out" 2>&1; echo "pytest exit=$?"; tail -1 "$W/pytest.out"
show | head -4; check
[ "$(decision)" = ready ] && echo "RESULT: BROKEN (false ready: git-ignored certificate files read by OpenSSL)" || echo "RESULT: HELD ($(decision))"
