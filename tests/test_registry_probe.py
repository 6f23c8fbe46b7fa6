"""--probe against real registries: Debian's docker-registry on loopback, images pushed by skopeo.

The registries and proxies come from ``registry_fixtures`` (started once per session). A missing Debian package fails these tests with the install command; nothing is skipped.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from kubectl_pullmedic.core.probing.rules import (
    MANIFEST_ACCEPT,
    proxy_for,
    closest_tags,
    credential_refusal,
    is_loopback,
    parse_challenge,
    platform_names,
    platform_present,
    registry_endpoint,
)
from kubectl_pullmedic.core.probing.results import NETWORK_NOTE, ProbeResult
from kubectl_pullmedic.registry.probe import probe_image
from kubectl_pullmedic.core.serialize import as_document
from registry_fixtures import PASSWORD, PROXY_LOGIN, ROBOT, ROBOT_PASSWORD, USER
from registry_server import (
    PROXIED_HOST,
    RegistryServer,
    TokenServer,
    TunnelProxy,
    make_certificate,
    make_htpasswd,
    push_image,
)

AMD64 = ("linux", "amd64")
RESULTS: List[ProbeResult] = []  # every live result, checked for leaks at the end


def probe(image: str, creds=None, **options) -> ProbeResult:
    options.setdefault("platform", AMD64)
    options.setdefault("environ", {})  # no proxy from the machine running the tests
    result = probe_image(image, creds, timeout=5, **options)
    RESULTS.append(result)
    json.dumps(as_document(result))  # always JSON-ready
    return result


# --- Basic auth over TLS -----------------------------------------------------------------------


def test_tag_present_with_good_credentials(basic_registry: RegistryServer, tls):
    result = probe(f"{basic_registry.host}/team/app:1.25.3", (USER, PASSWORD), ca_file=str(tls[0]))
    assert (result.reachable, result.tls_ok, result.auth, result.manifest_found) == (
        True,
        True,
        "accepted",
        True,
    )
    assert result.media_type == "application/vnd.oci.image.manifest.v1+json"
    assert result.digest.startswith("sha256:") and result.error == ""
    assert result.note == NETWORK_NOTE
    assert any("method=HEAD" in line and "/manifests/1.25.3" in line for line in basic_registry.log)


def test_tag_absent_suggests_the_closest(basic_registry: RegistryServer, tls):
    result = probe(f"{basic_registry.host}/team/app:1.25.4", (USER, PASSWORD), ca_file=str(tls[0]))
    assert (result.manifest_found, result.missing) == (False, "tag")
    assert result.suggestions[0] == "1.25.3" and "1.25.2" in result.suggestions
    assert "tag 1.25.4 does not exist in team/app; did you mean 1.25.3" in result.error


def test_unknown_repository(basic_registry: RegistryServer, tls):
    result = probe(f"{basic_registry.host}/team/nope:1", (USER, PASSWORD), ca_file=str(tls[0]))
    assert (result.manifest_found, result.missing, result.suggestions) == (False, "repository", [])
    assert "repository team/nope does not exist" in result.error


def test_no_credentials(basic_registry: RegistryServer, tls):
    result = probe(f"{basic_registry.host}/team/app:1.25.3", None, ca_file=str(tls[0]))
    assert (result.auth, result.manifest_found) == ("anonymous", None)
    assert result.error.startswith("the registry refused anonymous access to team/app (HTTP 401")


def test_wrong_credentials(basic_registry: RegistryServer, tls):
    result = probe(f"{basic_registry.host}/team/app:1.25.3", (USER, "wrong"), ca_file=str(tls[0]))
    assert (result.auth, result.manifest_found) == ("refused", None)
    assert result.error == f'the registry refused the credentials of user "{USER}"'


def test_untrusted_certificate_is_reported_not_bypassed(basic_registry: RegistryServer):
    result = probe(f"{basic_registry.host}/team/app:1.25.3", (USER, PASSWORD))
    assert (result.reachable, result.tls_ok, result.auth, result.manifest_found) == (True, False, "", None)
    assert result.error.startswith(
        f"the TLS certificate of {basic_registry.host} is not trusted here: self-signed"
    )
    assert "--registry-ca" in result.error


def test_index_without_the_nodes_platform(basic_registry: RegistryServer, tls):
    result = probe(f"{basic_registry.host}/team/multi:1.0", (USER, PASSWORD), ca_file=str(tls[0]))
    assert result.manifest_found and result.media_type == "application/vnd.oci.image.index.v1+json"
    assert (result.platforms, result.platform_ok) == (["linux/arm64", "linux/s390x"], False)
    assert "has no linux/amd64 image (it has linux/arm64, linux/s390x)" in result.error
    arm = probe(
        f"{basic_registry.host}/team/multi:1.0",
        (USER, PASSWORD),
        ca_file=str(tls[0]),
        platform=("linux", "arm64"),
    )
    assert arm.platform_ok is True and arm.error == ""


def test_single_platform_image_is_checked_through_its_config(basic_registry: RegistryServer, tls):
    image = f"{basic_registry.host}/team/armonly:2.0"
    amd64 = probe(image, (USER, PASSWORD), ca_file=str(tls[0]))
    assert amd64.manifest_found and amd64.media_type == "application/vnd.oci.image.manifest.v1+json"
    assert (amd64.platforms, amd64.wanted_platform, amd64.platform_ok) == (["linux/arm64"], "linux/amd64", False)
    assert "built for linux/arm64 only, not linux/amd64: the node cannot run it" in amd64.error
    arm = probe(image, (USER, PASSWORD), ca_file=str(tls[0]), platform=("linux", "arm64"))
    assert (arm.platform_ok, arm.error) == (True, "")


def test_no_platform_asked_means_no_manifest_body_is_read(basic_registry: RegistryServer, tls):
    """A manifest GET counts as a pull against Docker Hub's limit: without a node, only HEAD."""
    mark = len(basic_registry.log)
    result = probe(f"{basic_registry.host}/team/armonly:2.0", (USER, PASSWORD), ca_file=str(tls[0]), platform=None)
    assert (result.manifest_found, result.platforms, result.platform_ok, result.error) == (True, [], None, "")
    manifest = "/v2/team/armonly/manifests/2.0"
    assert [m for m, uri in basic_registry.requests_after(mark) if uri == manifest] == ["HEAD"]
    mark = len(basic_registry.log)
    probe(f"{basic_registry.host}/team/armonly:2.0", (USER, PASSWORD), ca_file=str(tls[0]))
    assert [m for m, uri in basic_registry.requests_after(mark) if uri == manifest] == ["HEAD", "GET"]


def test_digest_present_and_absent(basic_registry: RegistryServer, tls):
    found = probe(f"{basic_registry.host}/team/app:1.26.0", (USER, PASSWORD), ca_file=str(tls[0]))
    by_digest = probe(f"{basic_registry.host}/team/app@{found.digest}", (USER, PASSWORD), ca_file=str(tls[0]))
    assert by_digest.manifest_found and by_digest.reference == found.digest
    absent = probe(f"{basic_registry.host}/team/app@sha256:{'0' * 64}", (USER, PASSWORD), ca_file=str(tls[0]))
    assert (absent.manifest_found, absent.missing) == (False, "digest")


# --- Bearer tokens -----------------------------------------------------------------------------


def test_bearer_flow_with_good_credentials(token_registry: RegistryServer, token_server: TokenServer, tls):
    before = len(token_server.requests)
    result = probe(f"{token_registry.host}/private/app:v1", (ROBOT, ROBOT_PASSWORD), ca_file=str(tls[0]))
    assert (result.auth, result.manifest_found, result.error) == ("accepted", True, "")
    (request,) = token_server.requests[before:]
    assert request["user"] == ROBOT
    assert request["query"] == {"scope": ["repository:private/app:pull"], "service": [TokenServer.service]}


def test_bearer_flow_with_wrong_credentials(token_registry: RegistryServer, tls):
    result = probe(f"{token_registry.host}/private/app:v1", (ROBOT, "wrong"), ca_file=str(tls[0]))
    assert result.auth == "refused" and result.manifest_found is None
    assert f'refused the credentials of user "{ROBOT}" (HTTP 401)' in result.error


def test_bearer_flow_anonymously(token_registry: RegistryServer, tls):
    result = probe(f"{token_registry.host}/private/app:v1", None, ca_file=str(tls[0]))
    assert result.auth == "anonymous" and "refused anonymous access to private/app" in result.error


def test_bearer_tag_absent_lists_tags_with_the_token(token_registry: RegistryServer, tls):
    result = probe(f"{token_registry.host}/private/app:v2", (ROBOT, ROBOT_PASSWORD), ca_file=str(tls[0]))
    assert (result.missing, result.suggestions) == ("tag", ["v1"])


def test_credentials_withheld_from_a_plain_http_realm_on_another_host(
    workdir: Path, tls, token_server: TokenServer
):
    plain = TokenServer(workdir / "plain-token", {ROBOT: ROBOT_PASSWORD})  # a plain-HTTP realm
    registry = RegistryServer(
        workdir / "bearer-localhost-realm", tls=tls, token=plain, realm_host="localhost"
    )
    try:
        result = probe(f"{registry.host}/private/app:v1", (ROBOT, ROBOT_PASSWORD), ca_file=str(tls[0]))
    finally:
        registry.stop()
        plain.stop()
    assert result.auth == "withheld"
    assert (
        result.error.startswith("credentials withheld: http://localhost:")
        and "other than the registry's" in result.error
    )
    assert [r["user"] for r in plain.requests] == [""]  # asked anonymously only


# --- plain HTTP, network -----------------------------------------------------------------------


def test_loopback_registry_without_tls_is_asked_over_plain_http(open_registry: RegistryServer):
    result = probe(f"{open_registry.host}/pub/app:1.0")
    assert (result.tls_ok, result.auth, result.manifest_found, result.error) == (None, "not-needed", True, "")


def test_unreachable_registry():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    result = probe(f"127.0.0.1:{port}/app:1")
    assert (result.reachable, result.tls_ok) == (False, None)
    assert result.error.startswith(f"cannot reach 127.0.0.1:{port}")


def test_invalid_reference_is_not_sent_anywhere():
    result = probe_image("Bad Image")
    assert result.registry == "" and result.error.startswith("not a valid image reference")


# --- the rules, without traffic ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url, registry, insecure, allowed",
    [
        ("https://reg.example.com/v2/", "reg.example.com", (), True),
        ("https://auth.docker.io/token", "registry-1.docker.io", (), True),
        ("http://reg.example.com/v2/", "reg.example.com", (), False),
        ("http://reg.example.com:5000/v2/", "reg.example.com:5000", ("reg.example.com:5000",), True),
        ("http://reg.example.com:5000/v2/", "reg.example.com:5000", ("reg.example.com",), True),
        ("http://reg.example.com:5000/v2/", "reg.example.com:5000", ("other.example.com",), False),
        ("http://127.0.0.1:5000/v2/", "127.0.0.1:5000", (), True),
        ("http://localhost:5000/v2/", "localhost:5000", (), True),
        ("http://127.0.0.1:9000/token", "127.0.0.1:5000", (), False),
        ("http://127.0.0.1:5000/token", "127.0.0.1:5000", (), True),
        ("http://[evil/token", "127.0.0.1:5000", (), False),
        ("http://auth.example.com/token", "reg.example.com", ("reg.example.com",), False),
        ("http://localhost:9000/token", "127.0.0.1:5000", (), False),
        ("ftp://reg.example.com/", "reg.example.com", ("reg.example.com",), False),
    ],
)
def test_credential_rule(url, registry, insecure, allowed):
    assert (credential_refusal(url, registry, insecure) == "") is allowed


def test_docker_hub_is_asked_at_registry_1():
    assert registry_endpoint("docker.io") == "registry-1.docker.io"
    assert registry_endpoint("127.0.0.1:5000") == "127.0.0.1:5000"


def test_loopback_detection():
    assert [
        is_loopback(h)
        for h in ("127.0.0.2:80", "[::1]:5000", "localhost:5000", "reg.example.com", "10.0.0.1")
    ] == [True, True, True, False, False]


@pytest.mark.parametrize(
    "header, scheme, params",
    [
        (
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
            'scope="repository:library/nginx:pull"',
            "bearer",
            {
                "realm": "https://auth.docker.io/token",
                "service": "registry.docker.io",
                "scope": "repository:library/nginx:pull",
            },
        ),
        ('Basic realm="pullmedic-test"', "basic", {"realm": "pullmedic-test"}),
        (
            'Basic realm="x", Bearer realm="https://t.example.com/token"',
            "bearer",
            {"realm": "https://t.example.com/token"},
        ),
        (
            "bearer realm=https://t.example.com/token, service=reg",
            "bearer",
            {"realm": "https://t.example.com/token", "service": "reg"},
        ),
        ("Negotiate", "", {}),
    ],
    ids=["docker-hub", "basic", "several", "unquoted", "other-scheme"],
)
def test_parse_challenge(header, scheme, params):
    assert parse_challenge(header) == (scheme, params)


def test_manifest_accept_header_lists_oci_and_docker_types():
    for media_type in (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ):
        assert media_type in MANIFEST_ACCEPT


def test_platforms_of_an_index_skip_attestations_and_keep_variants():
    index: Dict[str, object] = {
        "manifests": [
            {"platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
            {"platform": {"os": "linux", "architecture": "amd64"}},
            {"platform": {"os": "unknown", "architecture": "unknown"}},
        ]
    }
    names = platform_names(index)
    assert names == ["linux/arm/v7", "linux/amd64"]
    assert platform_present(names, ("linux", "arm")) and platform_present(names, ("linux", "arm/v7"))
    assert not platform_present(names, ("linux", "arm64"))


def test_closest_tags():
    assert closest_tags("v1.2.3", ["1.2.3", "1.2.4", "latest"])[0] == "1.2.3"
    assert closest_tags("stable", ["1.0", "2.0"]) == []


# --- redaction: last, over every live result ---------------------------------------------------


def test_zz_no_result_holds_a_password_or_token(token_server: TokenServer):
    assert len(RESULTS) >= 10
    text = json.dumps([as_document(result) for result in RESULTS]) + repr(RESULTS)
    secrets = [PASSWORD, ROBOT_PASSWORD, "Basic ", "Bearer "] + token_server.issued
    assert token_server.issued
    for secret in secrets:
        assert secret not in text


# --- proxies ----------------------------------------------------------------------------------


def test_https_proxy_carries_the_probe_end_to_end(basic_registry: RegistryServer, tls, tunnel_proxy: TunnelProxy):
    """The name resolves only at the proxy, so an answer proves the tunnel; TLS is still verified."""
    image = f"{PROXIED_HOST}:{basic_registry.port}/team/app:1.25.4"
    result = probe(image, (USER, PASSWORD), ca_file=str(tls[0]), environ={"HTTPS_PROXY": tunnel_proxy.url()})
    assert (result.auth, result.missing, result.suggestions[:1]) == ("accepted", "tag", ["1.25.3"])
    assert result.proxy == tunnel_proxy.url()
    assert f"{PROXIED_HOST}:{basic_registry.port}" in tunnel_proxy.targets


def test_proxy_credentials_are_sent_to_the_proxy_but_never_reported(
        basic_registry: RegistryServer, tls, guarded_proxy: TunnelProxy):
    image = f"{PROXIED_HOST}:{basic_registry.port}/team/app:1.25.3"
    refused = probe(image, (USER, PASSWORD), ca_file=str(tls[0]), environ={"https_proxy": guarded_proxy.url()})
    assert not refused.reachable
    assert f"through the proxy {guarded_proxy.url()}: the proxy answered 407 Proxy Authentication Required" in refused.error
    accepted = probe(image, (USER, PASSWORD), ca_file=str(tls[0]), environ={"https_proxy": guarded_proxy.url(PROXY_LOGIN)})
    assert (accepted.manifest_found, accepted.proxy) == (True, guarded_proxy.url())
    assert PROXY_LOGIN[1] not in json.dumps([as_document(refused), as_document(accepted)])


def test_no_proxy_sends_the_request_direct(basic_registry: RegistryServer, tls, tunnel_proxy: TunnelProxy):
    before = len(tunnel_proxy.targets)
    environ = {"HTTPS_PROXY": tunnel_proxy.url(), "NO_PROXY": "example.org,.pullmedic.test"}
    result = probe(f"{PROXIED_HOST}:{basic_registry.port}/team/app:1.25.3", (USER, PASSWORD), ca_file=str(tls[0]),
                   environ=environ)
    assert not result.reachable and "DNS lookup failed" in result.error and result.proxy == ""
    assert len(tunnel_proxy.targets) == before


def test_loopback_is_never_proxied(basic_registry: RegistryServer, tls, tunnel_proxy: TunnelProxy):
    before = len(tunnel_proxy.targets)
    result = probe(f"{basic_registry.host}/team/app:1.25.3", (USER, PASSWORD), ca_file=str(tls[0]),
                   environ={"HTTPS_PROXY": tunnel_proxy.url()})
    assert (result.manifest_found, result.proxy, len(tunnel_proxy.targets)) == (True, "", before)


@pytest.mark.parametrize("url, environ, expected", [
    ("https://quay.io/v2/", {"HTTPS_PROXY": "proxy:3128"}, "http://proxy:3128"),
    ("https://quay.io/v2/", {"https_proxy": "http://p:1", "HTTPS_PROXY": "http://P:2"}, "http://P:2"),
    ("http://quay.io/v2/", {"HTTPS_PROXY": "http://p:1"}, ""),
    ("http://quay.io/v2/", {"http_proxy": "http://p:1"}, "http://p:1"),
    ("https://quay.io/v2/", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, ""),
    ("https://quay.io/v2/", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "quay.io"}, ""),
    ("https://cdn.quay.io/v2/", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "quay.io"}, ""),
    ("https://notquay.io/v2/", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "quay.io"}, "http://p:1"),
    ("https://reg.corp:5000/v2/", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "reg.corp:443"}, "http://p:1"),
    ("https://reg.corp:5000/v2/", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "reg.corp:5000"}, ""),
    ("https://10.2.3.4/v2/", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"}, ""),
    ("https://11.2.3.4/v2/", {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"}, "http://p:1"),
    ("https://[::1]:5000/v2/", {"HTTPS_PROXY": "http://p:1"}, ""),
    ("https://localhost:5000/v2/", {"HTTPS_PROXY": "http://p:1"}, ""),
])
def test_proxy_rules(url, environ, expected):
    assert proxy_for(url, environ) == expected
