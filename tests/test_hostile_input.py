"""Hostile or odd input (issue 14): never a traceback, never a credential in the output."""

from __future__ import annotations

import http.server
import threading

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


@pytest.mark.parametrize("args", [("why", "-A"), ("why", "-A", "--since", "99999999h"), ("why", "-A", "-o", "json"), ("why", "-A", "-o", "wide"),
                                  ("evicted", "-A"), ("secrets-check", "-A")])
def test_an_event_in_year_9999_degrades_to_an_answer(pullmedic, make_sandbox, make_pod, make_event, args):
    pod = make_pod("far", "shop", uid="uid-far", created="9999-12-31T23:59:59Z", waiting_reason="ImagePullBackOff",
                   waiting_message='Back-off pulling image "registry.example.com/app:1.0"')
    failed = make_event(pod, "Failed", 'Failed to pull image "registry.example.com/app:1.0": not found',
                        count=7, last_seen="9999-12-31T23:59:59Z", first_seen="9999-12-31T23:59:58Z")
    evicted = make_pod("gone", "shop", phase="Failed", reason="Evicted", created="9999-12-31T23:59:59Z",
                       message="The node was low on resource: memory.")
    result = pullmedic(*args, sandbox=make_sandbox(objects=[pod, failed, evicted]), expect=None)
    assert result.code in (0, 1) and "Traceback" not in result.stderr, result.stderr


class _Canned(http.server.BaseHTTPRequestHandler):
    """Answers every GET with ``self.server.body`` (200, JSON)."""

    def do_GET(self):  # noqa: N802 (http.server's spelling)
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def canned_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    server.body = b"{}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _kubeconfig_for(server, tmp_path):
    """A kubeconfig whose one context points at ``server`` over plain HTTP, without credentials."""
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}}],
        "users": [{"name": "c", "user": {}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "c"}}],
    }))
    return path


@pytest.mark.parametrize("body", [b'{"kind":"PodList","items":5}', b'{"kind":"PodList","items":{"a":1}}', b"[1,2]"])
def test_a_list_without_items_is_one_error_line(pullmedic, canned_server, tmp_path, body):
    canned_server.body = body
    path = _kubeconfig_for(canned_server, tmp_path)
    for command in ("why", "evicted", "secrets-check"):
        result = pullmedic(command, "-A", "--kubeconfig", str(path), expect=2)
        assert result.stderr.startswith("error: the API server answered a list without items"), result.stderr
        assert "Traceback" not in result.stderr


def test_one_pod_with_many_failing_containers_is_one_pod_in_why(pullmedic, make_sandbox, make_pod):
    pod = make_pod("p", "shop", uid="uid-p", waiting_reason="ErrImagePull",
                   waiting_message='rpc error: code = NotFound desc = failed to pull and unpack image '
                                   '"registry.example.com/app:1.0": not found')
    many = 1000
    pod["spec"]["containers"] = [dict(pod["spec"]["containers"][0], name=f"c{i}") for i in range(many)]
    pod["status"]["containerStatuses"] = [dict(pod["status"]["containerStatuses"][0], name=f"c{i}") for i in range(many)]
    sandbox = make_sandbox(objects=[pod])
    table = pullmedic("why", "-n", "shop", sandbox=sandbox, expect=1).stdout
    row = table.splitlines()[1].split()
    assert row[:3] == ["p", "1000", "containers"] and "pods" not in table, table
    explained = pullmedic("why", "p", "-n", "shop", sandbox=sandbox, expect=1).stdout
    assert "shop/p  (1000 containers (c0, c1, c2, and 997 more), node node-a)" in explained, explained[:400]
    assert "pods of" not in explained


@pytest.mark.parametrize("body", [b'{"kind":"PodList","metadata":[],"items":[]}',
                                  b'{"kind":"PodList","metadata":{"continue":5},"items":[{"metadata":5}]}',
                                  b'{"kind":"PodList","metadata":"x","items":[{"metadata":{"name":7}}, 3]}'])
def test_a_list_of_odd_shapes_degrades_without_a_traceback(pullmedic, canned_server, tmp_path, body):
    """A list's metadata or an item's metadata of the wrong type: read what can be read, no crash."""
    canned_server.body = body
    path = _kubeconfig_for(canned_server, tmp_path)
    for command in ("why", "evicted", "secrets-check"):
        result = pullmedic(command, "-A", "--kubeconfig", str(path), expect=None)
        assert result.code in (0, 1, 2, 4) and "Traceback" not in result.stderr, result.stderr
