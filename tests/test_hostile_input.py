"""Hostile or odd input (issue 14): never a traceback, never a credential in the output."""

from __future__ import annotations

import yaml
import pytest

TOKEN = "s3cr3t-bearer-t0ken"


def _config_with_user(sandbox, tmp_path, user):
    config = yaml.safe_load(open(sandbox.kubeconfig_path))
    config["users"][0]["user"] = user
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.mark.parametrize("form", ["tokenFile", "token-block"])
def test_token_with_a_trailing_newline_is_trimmed_as_client_go_does(pullmedic, make_sandbox, tls_cert, tmp_path, form):
    sandbox = make_sandbox(tls=tls_cert, token=TOKEN)
    if form == "tokenFile":
        (tmp_path / "token").write_text(TOKEN + "\n")
        user = {"tokenFile": str(tmp_path / "token")}
    else:
        user = {"token": TOKEN + "\n"}
    result = pullmedic("why", "-A", "--kubeconfig", _config_with_user(sandbox, tmp_path, user))
    assert TOKEN not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_a_token_the_server_cannot_take_is_never_printed(pullmedic, make_sandbox, tls_cert, tmp_path):
    sandbox = make_sandbox(tls=tls_cert, token=TOKEN)
    user = {"token": TOKEN + "\r\nX-Injected: 1"}
    result = pullmedic("why", "-A", "--kubeconfig", _config_with_user(sandbox, tmp_path, user), expect=2)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") <= 2
    assert "s3cr3t" not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_a_password_in_the_server_url_is_redacted_in_errors(pullmedic, tmp_path):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "gone",
        "clusters": [{"name": "gone", "cluster": {"server": "https://admin:PASSW0RD@127.0.0.1:9"}}],
        "users": [{"name": "gone", "user": {"token": "x"}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "gone"}}],
    }))
    result = pullmedic("why", "-A", "-v", "6", "--kubeconfig", str(path), expect=2)
    assert "cannot reach the API server at https://admin:xxxxx@127.0.0.1:9: connection refused" in result.stderr
    assert "PASSW0RD" not in result.stdout + result.stderr
