"""``python -m kubectl_pullmedic.sandbox`` as a script would use it: read a line, use it, SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from conftest import build_pod

pytestmark = pytest.mark.slow  # the sandbox as its own process, and the real kubectl


def test_cli_serves_objects_until_sigterm(tmp_path, kubectl):
    objects = tmp_path / "pods.json"
    objects.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [build_pod("from-file", "demo")]}))
    kubeconfig = tmp_path / "config"
    process = subprocess.Popen(
        [sys.executable, "-m", "kubectl_pullmedic.sandbox", "--objects", str(objects), "--kubeconfig",
         str(kubeconfig), "--namespace", "demo", "--forbid", "delete:pods", "--token", "t0k3n"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first_line = process.stdout.readline().strip()
        assert first_line == str(kubeconfig)
        document = yaml.safe_load(Path(first_line).read_text())
        assert document["current-context"] == "pullmedic-sandbox"
        assert document["contexts"][0]["context"] == {
            "cluster": "pullmedic-sandbox", "user": "pullmedic-sandbox", "namespace": "demo"}
        assert document["users"][0]["user"] == {"token": "t0k3n"}
        api = client.CoreV1Api(config.new_client_from_config(config_file=first_line))
        pods = json.loads(api.list_namespaced_pod("demo", _preload_content=False).data)
        assert [p["metadata"]["name"] for p in pods["items"]] == ["from-file"]
        denied = kubectl(first_line, "delete", "pod", "from-file", expect_rc=1)
        assert 'pods "from-file" is forbidden' in denied.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Traceback" not in stderr and stdout == ""


def test_cli_rejects_half_a_tls_pair():
    result = subprocess.run([sys.executable, "-m", "kubectl_pullmedic.sandbox", "--tls-cert", "x.pem"],
                            capture_output=True, text=True, check=False, timeout=30)
    assert result.returncode == 2 and "--tls-cert and --tls-key go together" in result.stderr
