"""Text anyone who can create a pod or an event controls never reaches the terminal raw.

Every command and text format, over pods, events and secrets carrying terminal sequences
(OSC title, clear screen, OSC-8 hyperlink), CR, BEL, backspace, a C1 CSI, a bidi override and a
lone surrogate: stdout and stderr hold no control character but newline, and no format
character; the documents (-o json|yaml) stay parseable and keep the exact text.
"""

from __future__ import annotations

import base64
import json
import unicodedata

import pytest

from kubectl_pullmedic.sandbox import Sandbox

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\\r\x08\x9b2J\u202eevil\ud800"


def _pod(name, namespace, **extra):
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                     "creationTimestamp": "2030-01-01T00:00:00Z",
                     "annotations": {"note": HOSTILE}},
        "spec": {"nodeName": "node-a", "containers": [{"name": "app", "image": "registry.example.com/app:1.0"}],
                 "imagePullSecrets": [{"name": "regcred"}]},
        "status": {"phase": "Pending", "containerStatuses": [{
            "name": "app", "image": "registry.example.com/app:1.0", "ready": False, "restartCount": 0,
            "state": {"waiting": {"reason": "ErrImagePull", "message": "pull failed " + HOSTILE}}}]},
    }
    pod.update(extra)
    return pod


def _objects():
    evicted = _pod("evicted-1", "shop")
    evicted["status"] = {"phase": "Failed", "reason": "Evicted",
                         "message": "The node was low on resource: memory. " + HOSTILE}
    event = {"apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": "Failed", "count": 3,
             "metadata": {"name": "e1", "namespace": "shop"},
             "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop", "uid": "uid-web-1",
                                "fieldPath": "spec.containers{app}"},
             "firstTimestamp": "2030-01-01T00:00:00Z", "lastTimestamp": "2030-01-01T00:01:00Z",
             "message": 'Failed to pull image "registry.example.com/app:1.0": rpc error: code = Unknown desc = '
                        + HOSTILE}
    config = json.dumps({"auths": {"registry.example.com" + HOSTILE: {"auth": base64.b64encode(b"u:p").decode()}}})
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
              "metadata": {"name": "regcred", "namespace": "shop"},
              "data": {".dockerconfigjson": base64.b64encode(config.encode("utf-8", "surrogatepass")).decode()}}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    return [namespace, _pod("web-1", "shop"), evicted, event, secret]


COMMANDS = [
    ("why", "-n", "shop"), ("why", "-n", "shop", "-o", "wide"), ("why", "web-1", "-n", "shop"),
    ("evicted", "-n", "shop"), ("evicted", "-n", "shop", "-o", "wide"), ("evicted", "-n", "shop", "--group-by", "owner"),
    ("clean", "-n", "shop", "--dry-run=client"), ("retry", "-n", "shop", "--dry-run=client"), ("secrets-check", "-n", "shop"), ("secrets-check", "-n", "shop", "-o", "wide"),
    ("why", "-n", "shop", "-o", "name"), ("why", "-n", "shop", "-o", "jsonpath={.items[*].message}"),
    ("why", "-n", "shop", "-o", "custom-columns=POD:.pod,MESSAGE:.message"),
    ("evicted", "-n", "shop", "-o", "jsonpath={range .items[*]}{.eviction.message}{\"\\n\"}{end}"),
]


@pytest.fixture(scope="module")
def hostile():
    with Sandbox(objects=_objects()) as sandbox:
        yield sandbox


def _raw_controls(text: str) -> list:
    return sorted({f"U+{ord(c):04X}" for c in text
                   if c != "\n" and (unicodedata.category(c) in ("Cc", "Cf", "Cs") or c == "\x7f")})


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_no_raw_control_character_reaches_the_terminal(pullmedic, hostile, args):
    result = pullmedic(*args, sandbox=hostile, expect=None)
    assert result.code in (0, 1, 4), result.stderr
    assert _raw_controls(result.stdout) == [] and _raw_controls(result.stderr) == []
    if args[0] == "why" and "name" not in args:
        assert "pwned" in result.stdout  # shown as text, not executed


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_documents_stay_parseable_and_exact(pullmedic, hostile, fmt):
    import yaml

    result = pullmedic("why", "-n", "shop", "-o", fmt, sandbox=hostile, expect=1)
    document = json.loads(result.stdout) if fmt == "json" else yaml.safe_load(result.stdout)
    assert any("pwned" in (item.get("message") or "") for item in document["items"])
    assert "\x1b" not in result.stdout  # escaped by the encoder
