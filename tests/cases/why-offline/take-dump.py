"""Write dump/: the real `kubectl cluster-info dump -A --output-directory` of this case's sandbox.

Run from the repository root when objects.yaml changes: .venv/bin/python tests/cases/why-offline/take-dump.py
The sandbox runs at the golden tests' frozen clock, so the dump is the same every time.
"""

import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from kubectl_pullmedic.sandbox import Sandbox, load_file

CASE = Path(__file__).resolve().parent
NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)  # tests/test_golden.py NOW

if __name__ == "__main__":
    shutil.rmtree(CASE / "dump", ignore_errors=True)
    with Sandbox(objects=load_file(CASE / "objects.yaml"), clock=lambda: NOW) as sandbox:
        subprocess.run(["kubectl", "--kubeconfig", sandbox.kubeconfig_path, "cluster-info", "dump", "-A",
                        "--output-directory", str(CASE / "dump")], check=True, stdout=sys.stderr)
