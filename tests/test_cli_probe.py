"""``why --probe`` end to end: the real client against the sandbox API server, and the real
Debian docker-registry asked with the pod's own pull secret for its node's os/arch.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Callable, Dict, List

import pytest

from conftest import build_event, build_pod
from kubectl_pullmedic.sandbox import Sandbox
from registry_fixtures import PASSWORD, USER
from registry_server import PROXIED_HOST, RegistryServer, TunnelProxy

NOT_FOUND = 'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": not found'
NO_PLATFORM = ('rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
               "no match for platform in manifest: not found")
UNAUTHORIZED = ('rpc error: code = Unknown desc = failed to pull and unpack image "{image}": failed to resolve '
                'reference "{image}": pull access denied, repository does not exist or may require authorization: '
                "authorization failed: no basic auth credentials")


def node(name: str, arch: str) -> Dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/os": "linux", "kubernetes.io/arch": arch}},
        "status": {"nodeInfo": {"operatingSystem": "linux", "architecture": arch,
                                "containerRuntimeVersion": "containerd://1.7.24"}},
    }


def pull_secret(name: str, namespace: str, registry: str) -> Dict[str, Any]:
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    config = {"auths": {registry: {"username": USER, "password": PASSWORD, "auth": auth}}}
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": name, "namespace": namespace},
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


def failing_pod(name: str, image: str, message: str, node_name: str, secrets: List[str]) -> List[Dict[str, Any]]:
    """A pod in ErrImagePull and the kubelet's Failed event about it."""
    pod = build_pod(name, "shop", phase="Pending", image=image, waiting_reason="ErrImagePull",
                    node=node_name, uid=f"uid-{name}")
    if secrets:
        pod["spec"]["imagePullSecrets"] = [{"name": secret} for secret in secrets]
    event = build_event(pod, "Failed", f'Failed to pull image "{image}": ' + message.format(image=image))
    return [pod, event]


@pytest.fixture(scope="module")
def probe_cluster(basic_registry: RegistryServer, open_registry: RegistryServer) -> Sandbox:
    host = basic_registry.host
    public_tool = build_pod("public-tool", "shop", image=f"{open_registry.host}/pub/app:1.0", node="node-amd")
    public_tool["spec"]["imagePullSecrets"] = [{"name": "proxied-cred"}]  # covers another registry only
    proxied = f"{PROXIED_HOST}:{basic_registry.port}"
    objects = [
        node("node-amd", "amd64"),
        node("node-arm", "arm64"),
        pull_secret("regcred", "shop", host),
        pull_secret("proxied-cred", "shop", proxied),
        *failing_pod("web-typo", f"{host}/team/app:1.25.4", NOT_FOUND, "node-amd", ["regcred"]),
        *failing_pod("arm-only", f"{host}/team/armonly:2.0", NO_PLATFORM, "node-amd", ["regcred"]),
        *failing_pod("on-arm", f"{host}/team/multi:2.0", NOT_FOUND, "node-arm", ["regcred"]),
        *failing_pod("no-secret", f"{host}/team/app:1.25.3", UNAUTHORIZED, "node-amd", []),
        *failing_pod("behind-proxy", f"{proxied}/team/app:1.26.1", NOT_FOUND, "node-amd", ["proxied-cred"]),
        public_tool,
    ]
    with Sandbox(objects=objects) as running:
        yield running


@pytest.fixture
def why(pullmedic: Callable[..., Any], probe_cluster: Sandbox, tls) -> Callable[..., Any]:
    def run(*args: str, environ: Dict[str, str] = None) -> Any:
        return pullmedic("why", "-n", "shop", *args, "--registry-ca", str(tls[0]), sandbox=probe_cluster,
                         expect=1, environ=environ or {})
    return run


def block(text: str, pod: str) -> str:
    """The explanation block about one pod."""
    start = text.index(f"shop/{pod}")
    end = text.find("\n\n", start)
    return text[start:end if end != -1 else None]


def test_probe_asks_with_the_pods_secret_and_suggests_the_tag(why: Callable[..., Any], basic_registry: RegistryServer):
    result = why("web-typo", "--probe")
    probe_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("Probe:"))
    assert f"{basic_registry.host} (credentials accepted)" in probe_line
    assert "tag 1.25.4 does not exist in team/app; did you mean 1.25.3" in probe_line
    assert "Note: probed from this machine" in result.stdout


def test_probe_checks_the_nodes_platform_for_single_and_multi_platform_images(why: Callable[..., Any]):
    text = why("--probe").stdout
    assert "built for linux/arm64 only, not linux/amd64: the node cannot run it" in block(text, "arm-only")
    # team/multi has no 2.0 at all; the arm64 node's platform is what was asked for
    assert "tag 2.0 does not exist in team/multi; did you mean 1.0" in block(text, "on-arm")


def test_probe_without_a_secret_is_anonymous_and_says_the_repository_needs_credentials(why: Callable[..., Any]):
    text = block(why("--probe").stdout, "no-secret")
    assert "(asked anonymously)" in text
    assert "the registry refused anonymous access to team/app" in text


def test_probe_in_json_names_the_platform_and_never_the_password(why: Callable[..., Any]):
    for fmt in ("json", "yaml"):
        result = why("--probe", "-o", fmt)
        assert PASSWORD not in result.stdout + result.stderr
        assert base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode() not in result.stdout
    items = {item["pod"]: item for item in why("--probe", "-o", "json").json()["items"]}
    typo = items["web-typo"]["probe"]
    assert (typo["auth"], typo["missing"], typo["wantedPlatform"]) == ("accepted", "tag", "linux/amd64")
    assert items["on-arm"]["probe"]["wantedPlatform"] == "linux/arm64"
    assert items["arm-only"]["probe"]["platforms"] == ["linux/arm64"]
    assert items["arm-only"]["probe"]["platformOk"] is False
    assert set(typo) >= {"manifestFound", "tlsOk", "mediaType", "suggestions", "note"}


def test_without_probe_no_registry_is_asked(why: Callable[..., Any], basic_registry: RegistryServer):
    mark = len(basic_registry.log)
    result = why()
    assert "Probe:" not in result.stdout
    assert "probe" not in json.dumps(why("-o", "json").json()["items"])
    assert basic_registry.requests_after(mark) == []


def test_probe_goes_through_the_proxy_the_environment_names(why: Callable[..., Any], tunnel_proxy: TunnelProxy,
                                                          basic_registry: RegistryServer):
    before = len(tunnel_proxy.targets)
    text = block(why("behind-proxy", "--probe", environ={"HTTPS_PROXY": tunnel_proxy.url()}).stdout, "behind-proxy")
    assert f"via proxy {tunnel_proxy.url()}" in text and "credentials accepted" in text
    assert "tag 1.26.1 does not exist in team/app; did you mean 1.26.0" in text
    assert tunnel_proxy.targets[before:] == [f"{PROXIED_HOST}:{basic_registry.port}"]


def secrets_check(pullmedic: Callable[..., Any], cluster: Sandbox, tls, *args: str) -> Any:
    return pullmedic("secrets-check", "-n", "shop", *args, "--registry-ca", str(tls[0]), sandbox=cluster,
                     expect=0, environ={})


def test_secrets_check_probe_table_asks_each_image_with_its_credentials(
        pullmedic: Callable[..., Any], probe_cluster: Sandbox, tls, basic_registry: RegistryServer):
    result = secrets_check(pullmedic, probe_cluster, tls, "--probe")
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith(basic_registry.host)}
    assert "accepted" in rows[f"{basic_registry.host}/team/app:1.25.4"]
    assert "missing tag (did you mean 1.25.3, 1.25.2?)" in rows[f"{basic_registry.host}/team/app:1.25.4"]
    assert "anonymous" in rows[f"{basic_registry.host}/team/app:1.25.3"]
    assert PASSWORD not in result.stdout + result.stderr


def test_an_anonymous_probe_that_reads_the_manifest_settles_no_credentials_as_info(
        pullmedic: Callable[..., Any], probe_cluster: Sandbox, tls, open_registry: RegistryServer):
    def finding(*args: str) -> Dict[str, Any]:
        items = secrets_check(pullmedic, probe_cluster, tls, "-o", "json", *args).json()["items"]
        return next(i for i in items if i["code"] == "NoCredentialsForRegistry" and i["workload"] == "pod/public-tool")

    unprobed = finding()
    assert unprobed["severity"] == "warning" and "fine if it is public" in unprobed["message"]
    probed = finding("--probe")
    assert probed["severity"] == "info" and probed["fix"] == ""
    assert probed["message"].endswith("the probe read its manifest anonymously: it is public")


@pytest.mark.parametrize("command", ["why", "secrets-check"])
def test_a_registry_ca_that_is_no_certificate_is_refused_in_one_line(pullmedic: Callable[..., Any], tmp_path,
                                                                       command: str):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    result = pullmedic(command, "--probe", "--registry-ca", str(bad), expect=2)
    assert f"{bad} holds no usable PEM certificate" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
