"""Hostile registry answers (issue 14): each gives that image's probe an error line, and every
other probe of the run keeps its own answer. Small local registries (http.server on loopback,
where plain HTTP is allowed)."""

from __future__ import annotations

import http.server
import threading

import pytest

from kubectl_pullmedic.core.probing.plan import ProbeTarget
from kubectl_pullmedic.registry.probe import probe_many

INDEX = "application/vnd.oci.image.index.v1+json"
IMAGE = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "sha256:" + "a" * 64


class _Routes(http.server.BaseHTTPRequestHandler):
    """Answers from ``server.routes``: {(METHOD or "*", path prefix): (status, headers, body)}."""

    def _answer(self):
        seen = self.server.seen
        seen.append((self.command, self.path, self.headers.get("Authorization")))
        for (method, prefix), (status, headers, body) in self.server.routes.items():
            if method in ("*", self.command) and self.path.startswith(prefix):
                break
        else:
            status, headers, body = 404, {}, b'{"errors":[{"code":"NOT_FOUND"}]}'
        body = body.replace(b"PORT", str(self.server.server_port).encode())
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value.replace("PORT", str(self.server.server_port)))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def registry():
    servers = []

    def start(routes):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Routes)
        server.routes, server.seen = routes, []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _target(image, secret=""):
    return ProbeTarget("shop", "deployment/web", "app", image, secret=secret, username="bob" if secret else "",
                       password="s3cret" if secret else "", platform=("linux", "amd64"))


V2_OK = {("*", "/v2/"): (200, {}, b"{}")}
MISSING = (404, {}, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')

HOSTILE = {
    "tags-not-a-list": {("*", "/v2/app/manifests/"): MISSING,
                        ("GET", "/v2/app/tags/list"): (200, {}, b'{"tags":5}')},
    "manifests-not-a-list": {("*", "/v2/app/manifests/"): (200, {"Content-Type": INDEX}, b'{"manifests":5}')},
    "errors-not-a-list": {("*", "/v2/app/manifests/"): (401, {}, b'{"errors":5}')},
    "errors-not-a-list-404": {("*", "/v2/app/manifests/"): (404, {}, b'{"errors":5}')},
    "blob-location-bad-host": {
        ("*", "/v2/app/manifests/"): (200, {"Content-Type": IMAGE},
                                      b'{"config":{"digest":"' + CONFIG.encode() + b'","size":2}}'),
        ("GET", "/v2/app/blobs/"): (307, {"Location": "http://[evil/blob"}, b""),
    },
}


ANSWER = {
    "tags-not-a-list": "tag 1.0 does not exist in app",
    "manifests-not-a-list": "the image index has no linux/amd64 image (it has none): the node cannot run it",
    "errors-not-a-list": "pull access to app denied (HTTP 401): the repository may not exist, "
                         "or these credentials lack pull permission",
    "errors-not-a-list-404": "tag 1.0 does not exist in app",
    "blob-location-bad-host": "the registry redirected the image's config blob to a URL that cannot be requested "
                              "(Invalid IPv6 URL): the node's runtime cannot download it either",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_answer_is_that_probe_s_error_only(registry, case):
    hostile = registry({**HOSTILE[case], **V2_OK})
    fine = registry({("*", "/v2/other/manifests/"): MISSING, **V2_OK})
    results = probe_many([_target(f"127.0.0.1:{hostile.server_port}/app:1.0"),
                          _target(f"127.0.0.1:{fine.server_port}/other:1.0")], environ={})
    assert len(results) == 2
    assert results[1].error == "tag 1.0 does not exist in other"
    assert results[0].error == ANSWER[case], results[0]
    assert "\n" not in results[0].error


def test_a_token_realm_with_a_bad_host_is_an_error_line(registry):
    hostile = registry({("*", "/v2/"): (401, {"WWW-Authenticate": 'Bearer realm="http://[evil/token"'}, b"")})
    fine = registry({("*", "/v2/other/manifests/"): MISSING, **V2_OK})
    results = probe_many([_target(f"127.0.0.1:{hostile.server_port}/app:1.0", secret="regcred"),
                          _target(f"127.0.0.1:{fine.server_port}/other:1.0")], environ={})
    assert "token realm" in results[0].error and "\n" not in results[0].error, results[0].error
    assert results[1].error == "tag 1.0 does not exist in other"


def test_a_proxy_with_a_bad_ipv6_literal_is_a_probe_error(registry):
    results = probe_many([_target("registry.example.com/app:1.0"), _target("127.0.0.1:1/other:1.0")],
                         environ={"HTTPS_PROXY": "http://[::1"})
    assert "HTTPS_PROXY" in results[0].error and "\n" not in results[0].error, results[0].error
    assert results[1].error.startswith("cannot reach 127.0.0.1:1"), results[1].error


def test_an_unreadable_answer_in_one_probe_is_that_probe_s_error(monkeypatch):
    from kubectl_pullmedic.registry import probe
    from kubectl_pullmedic.core.probing.results import ProbeResult

    def fake(image, *args, **kwargs):
        if image.startswith("bad"):
            raise TypeError("'int' object is not iterable")
        return ProbeResult(image)

    monkeypatch.setattr(probe, "probe_image", fake)
    results = probe_many([_target("bad.example/app:1"), _target("good.example/app:1")], environ={})
    assert results[0].error == "the probe stopped on an answer it could not read (TypeError: 'int' object is not iterable)"
    assert results[1].image == "good.example/app:1" and not results[1].error


@pytest.mark.parametrize("same_port", [False, True])
def test_basic_credentials_go_to_a_plain_http_realm_only_on_the_registry_s_own_origin(registry, same_port):
    realm = registry({("GET", "/token"): (200, {}, b'{"token":"t0k"}')})
    routes = {("GET", "/token"): (200, {}, b'{"token":"t0k"}'), ("*", "/v2/app/manifests/"): MISSING,
              ("*", "/v2/"): (401, {"WWW-Authenticate": 'Bearer realm="REALM/token",service="s"'}, b"")}
    hostile = registry(routes)
    where = "http://127.0.0.1:PORT" if same_port else f"http://127.0.0.1:{realm.server_port}"
    routes[("*", "/v2/")] = (401, {"WWW-Authenticate": f'Bearer realm="{where}/token",service="s"'}, b"")
    (result,) = probe_many([_target(f"127.0.0.1:{hostile.server_port}/app:1.0", secret="regcred")], environ={})
    asked = [auth for method, path, auth in (hostile.seen + realm.seen) if path.startswith("/token")]
    if same_port:
        assert asked == ["Basic Ym9iOnMzY3JldA=="] and result.auth == "accepted"
    else:
        assert asked == [None] and result.auth == "withheld", (asked, result)
        assert result.error == (f"credentials withheld: http://127.0.0.1:{realm.server_port} "
                                "is plain HTTP on another port than the registry's")


BLOB_MANIFEST = (200, {"Content-Type": IMAGE}, b'{"config":{"digest":"' + CONFIG.encode() + b'","size":2}}')


@pytest.mark.parametrize("location, error", [
    ("http://[evil/blob", "(Invalid IPv6 URL)"),
    ("//[::1/blob", "(Invalid IPv6 URL)"),
    ("http://[]/blob", "('' does not appear to be an IPv4 or IPv6 address)"),
    ("http://host:99999/blob", "(Port out of range 0-65535)"),
    ("http://user:pw@/blob", "(not an http(s) URL)"),
    ("ftp://storage.example/blob", "(not an http(s) URL)"),
    ("http://ev il/blob", "where the registry redirected it: cannot reach ev il: not a valid host name"),
    ("http://a..b/blob", "where the registry redirected it: cannot reach a..b: not a valid host name"),
    ("http://user:s3cret@[v1.x]/blob?sig=SIGNATURE", "where the registry redirected it: cannot reach [v1.x]: "
                                                    "not a valid host name"),
])
def test_a_blob_redirect_with_a_bad_host_is_that_probe_s_one_line_error(registry, location, error):
    hostile = registry({("*", "/v2/app/manifests/"): BLOB_MANIFEST,
                        ("GET", "/v2/app/blobs/"): (307, {"Location": location}, b""), **V2_OK})
    fine = registry({("*", "/v2/other/manifests/"): MISSING, **V2_OK})
    results = probe_many([_target(f"127.0.0.1:{hostile.server_port}/app:1.0"),
                          _target(f"127.0.0.1:{fine.server_port}/other:1.0")], environ={})
    assert error in results[0].error and "\n" not in results[0].error, results[0].error
    assert "s3cret" not in results[0].error and "SIGNATURE" not in results[0].error
    assert results[0].manifest_found and results[0].platform_ok is None
    assert results[1].error == "tag 1.0 does not exist in other"


@pytest.mark.parametrize("realm, error", [
    ("http://[evil/token", "the registry's token realm is not a usable URL (Invalid IPv6 URL)"),
    ("http://host:99999/token", "the registry's token realm is not a usable URL (Port out of range 0-65535)"),
    ("http://ev il/token", "cannot ask the token realm the registry named: cannot reach ev il: not a valid host name"),
    ("http://bob:pw@a..b/token", "cannot ask the token realm the registry named: cannot reach a..b: not a valid host name"),
])
def test_a_token_realm_with_a_bad_host_is_that_probe_s_one_line_error(registry, realm, error):
    hostile = registry({("*", "/v2/"): (401, {"WWW-Authenticate": f'Bearer realm="{realm}",service="s"'}, b"")})
    fine = registry({("*", "/v2/other/manifests/"): MISSING, **V2_OK})
    results = probe_many([_target(f"127.0.0.1:{hostile.server_port}/app:1.0"),
                          _target(f"127.0.0.1:{fine.server_port}/other:1.0")], environ={})
    assert results[0].error.startswith(error) and "\n" not in results[0].error, results[0].error
    assert results[1].error == "tag 1.0 does not exist in other"
