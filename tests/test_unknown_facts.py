"""What could not be read is unknown, never absent: no "does not exist", no unconditional create.

Runs every command over the whole scenario cluster as a user RBAC refuses one kind of object
(secrets, service accounts, nodes, owners), in every output format.
"""

from __future__ import annotations

import json

import pytest
import yaml
from podfixtures import secret_claim

from kubectl_pullmedic.sandbox import Sandbox

REFUSALS = {
    "secrets": ["get:secrets", "list:secrets"],
    "serviceaccounts": ["get:serviceaccounts", "list:serviceaccounts"],
    "nodes": ["get:nodes", "list:nodes"],
    "owners": ["list:replicasets", "list:jobs"],
}
FORMATS = ([], ["-o", "wide"], ["-o", "json"], ["-o", "yaml"])


@pytest.fixture(scope="module")
def scenarios():
    with Sandbox(scenarios=True) as sandbox:
        yield sandbox


def _claims_absence(text: str) -> list:
    """Lines that say something does not exist (a secret, a node), or create a secret without a condition.

    YAML folds long strings over lines, so it is read and re-printed one string per line.
    """
    if text.startswith("apiVersion:"):
        text = json.dumps(yaml.safe_load(text), indent=1)
    return [secret_claim(line) for line in text.splitlines()
            if "does not exist in this namespace" in line or "no longer exists" in line
            or ("kubectl create secret" in line and "If " not in line and "--dry-run" not in line
                and "SecretNotFound" not in line)]



@pytest.mark.parametrize("refused", sorted(REFUSALS))
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: " ".join(f) or "table")
def test_why_says_unknown_not_missing(pullmedic, scenarios, refused, fmt):
    scenarios.set_forbid(REFUSALS[refused])
    try:
        allowed = pullmedic("why", "-A", *fmt, sandbox=scenarios, expect=1)
    finally:
        scenarios.set_forbid([])
    plain = pullmedic("why", "-A", *fmt, sandbox=scenarios, expect=1)
    # Nothing is claimed absent that the unrestricted run does not also claim.
    assert set(_claims_absence(allowed.stdout)) <= set(_claims_absence(plain.stdout))
    if refused != "owners":
        assert "forbidden" in allowed.stderr
    if fmt == ["-o", "json"]:
        document = json.loads(allowed.stdout)
        assert document.get("warnings"), "the document says it is partial"
        for item in document["items"]:
            kubelet_says_missing = item["evidence"].get("pullSecretEvent") is not None
            for state in (item["evidence"].get("pullSecrets") or {}).get("podSecrets", []):
                if refused == "secrets" and not kubelet_says_missing:
                    assert state["exists"] is None  # unreadable, or not needed for this cause


def test_secrets_check_reports_unreadable_secrets_not_missing(pullmedic, scenarios):
    scenarios.set_forbid(REFUSALS["secrets"])
    try:
        result = pullmedic("secrets-check", "-A", "-o", "json", sandbox=scenarios, expect=None)
    finally:
        scenarios.set_forbid([])
    codes = {finding["code"] for finding in json.loads(result.stdout)["items"]}
    assert "SecretUnreadable" in codes
    assert not codes & {"SecretNotFound", "NoCredentialsForRegistry", "SecretWrongType", "UnusedPullSecret"}
    assert result.code == 4  # nothing proven wrong, part of the cluster unread
