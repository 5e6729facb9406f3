"""A fault handed to one deploy goes to the first process that claims its file (a real rename)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

from demo_service.faults import claim_fault

if TYPE_CHECKING:
    from pathlib import Path

CLAIM = "from demo_service.faults import claim_fault; print(claim_fault())"


def test_a_fault_handed_to_a_deploy_goes_to_the_first_process_only(tmp_path: Path) -> None:
    fault = tmp_path / "fault"
    fault.write_text("slow-tail\n", "utf-8")
    environ = {"DEMO_FAULT_ONCE": str(fault)}
    assert claim_fault(environ) == "slow-tail"
    assert not fault.exists()
    assert claim_fault(environ) is None  # claimed: a later process runs unchanged
    assert claim_fault({}) is None
    fault.write_text("bug-checkout", "utf-8")  # another process (as the deploy starts one)
    first = subprocess.run([sys.executable, "-c", CLAIM], capture_output=True, text=True,
                           env={**os.environ, "DEMO_FAULT_ONCE": str(fault)},
                           check=True, timeout=60)
    assert first.stdout.strip() == "bug-checkout"
    assert claim_fault(environ) is None
