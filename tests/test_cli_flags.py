"""kubectl's global flags, flag syntax, messages and time-outs, through the real CLI.

Every test runs the real entry point (in-process, ``main(argv, Settings(...))``, or the installed
``kubectl-pullmedic`` found by the real kubectl) against a sandbox over real HTTP/TLS; where
kubectl's own behaviour is the reference, the real ``kubectl`` is run on the same input.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml

from conftest import KUBECTL, build_pod

NAMESPACE_SHOP = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
EVICTED = build_pod("evicted-1", "shop", phase="Failed", reason="Evicted", labels={"app": "web"},
                    message="The node was low on resource: memory. ")
# kubectl 1.32's -v=6 line (client-go transport/round_trippers.go, DebugURLTiming through klog)
V6_LINE = re.compile(r"^I\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ round_trippers\.go:\d+\] "
                     r"(GET) (\S+) (200 OK) in \d+ milliseconds$")


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    """A CA; a server certificate for 127.0.0.1; one for the name api.internal only; a client
    certificate with CN=alice. All made with openssl, with the key identifiers strict TLS wants."""
    d = tmp_path_factory.mktemp("pki")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=pullmedic-test-ca",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-addext", "subjectKeyIdentifier=hash", "-keyout", str(d / "ca.key"), "-out", str(d / "ca.crt"))
    files = {"ca": str(d / "ca.crt")}
    for name, subject, extensions in (
        ("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
        ("named", "/CN=api.internal", "subjectAltName=DNS:api.internal\nextendedKeyUsage=serverAuth"),
        ("alice", "/CN=alice/O=dev", "extendedKeyUsage=clientAuth"),
    ):
        (d / f"{name}.ext").write_text(extensions + "\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
                                       "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", str(d / f"{name}.key"),
                "-out", str(d / f"{name}.csr"))
        openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", files["ca"], "-CAkey", str(d / "ca.key"),
                "-CAcreateserial", "-days", "2", "-extfile", str(d / f"{name}.ext"), "-out", str(d / f"{name}.crt"))
        files[name] = str(d / f"{name}.crt")
        files[name + "-key"] = str(d / f"{name}.key")
    return files


def kubeconfig(path: Path, clusters: Dict[str, Dict[str, Any]], users: Dict[str, Dict[str, Any]],
               context: Optional[Dict[str, str]] = None) -> str:
    """A kubeconfig with the given clusters and users and one current context ``ctx``
    (default: the first cluster and the first user)."""
    context = context or {"cluster": next(iter(clusters)), "user": next(iter(users))}
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": name, "cluster": cluster} for name, cluster in clusters.items()],
        "users": [{"name": name, "user": user} for name, user in users.items()],
        "contexts": [{"name": "ctx", "context": context}],
    }))
    return str(path)


def run_kubectl(kubeconfig_path: str, *args: str, tmp_path: Path) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([KUBECTL, "--kubeconfig", kubeconfig_path, "--cache-dir", str(tmp_path / "kube-cache"), *args],
                          capture_output=True, text=True, timeout=60, check=False)


def requests_for(sandbox: Any, path: str) -> List[Any]:
    return [r for r in sandbox.requests if r.path == path]


def headers_named(request: Any, prefix: str) -> List[tuple]:
    return [(name.lower(), value) for name, value in request.headers if name.lower().startswith(prefix.lower())]


def script(directory: Path, name: str, body: str) -> str:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


# -- 2. flag syntax as kubectl (pflag) parses it ---------------------------------------------


@pytest.mark.parametrize("spelling", [["-n=shop"], ["-nshop"], ["--namespace=shop"], ["-n", "shop"]],
                         ids=lambda s: " ".join(s))
@pytest.mark.parametrize("where", ["after", "before"])
def test_namespace_spellings_all_mean_shop(pullmedic, make_sandbox, spelling, where):
    sb = make_sandbox(objects=[EVICTED])
    args = ["evicted", *spelling, "-o", "json"] if where == "after" else [*spelling, "evicted", "-o", "json"]
    names = [item["name"] for item in pullmedic(*args, sandbox=sb).json()["items"]]
    assert names == ["evicted-1"]
    assert requests_for(sb, "/api/v1/namespaces/shop/pods")


def test_repeated_selector_keeps_the_last_one_as_kubectl_does(pullmedic, make_sandbox, tmp_path):
    sb = make_sandbox(objects=[EVICTED])
    pullmedic("evicted", "-n", "shop", "-l", "app=db", "-l", "app=web", sandbox=sb)
    ours = requests_for(sb, "/api/v1/namespaces/shop/pods")[-1].query["labelSelector"]
    sb.clear_requests()
    assert run_kubectl(sb.kubeconfig_path, "get", "pods", "-n", "shop", "-l", "app=db", "-l", "app=web",
                       tmp_path=tmp_path).returncode == 0
    theirs = requests_for(sb, "/api/v1/namespaces/shop/pods")[-1].query["labelSelector"]
    assert ours == theirs == "app=web"


def test_boolean_flags_take_go_spellings(pullmedic, make_sandbox):
    sb = make_sandbox(objects=[EVICTED])
    assert pullmedic("evicted", "-n", "shop", "--insecure-skip-tls-verify=false", "-A=true", "-o", "json",
                     sandbox=sb).json()["items"]
    assert requests_for(sb, "/api/v1/pods")  # -A=true listed the whole cluster


# -- 3. kubectl's messages -------------------------------------------------------------------


@pytest.mark.parametrize("args, message, command", [
    (["why", "--selectr", "x"], "unknown flag: --selectr (did you mean --selector?)", "why"),
    (["evicted", "--bogus"], "unknown flag: --bogus", "evicted"),
    (["why", "-x"], "unknown shorthand flag: 'x' in -x", "why"),
    (["why", "-n"], "flag needs an argument: 'n' in -n", "why"),
    (["clean", "--namespace"], "flag needs an argument: --namespace", "clean"),
    (["whyy"], 'unknown command "whyy" for "kubectl pullmedic" (did you mean "why"?)', ""),
    (["--tokn", "x", "why"], "unknown flag: --tokn (did you mean --token?)", ""),
    (["why", "--insecure-skip-tls-verify=maybe"],
     'invalid argument "maybe" for "--insecure-skip-tls-verify" flag: strconv.ParseBool: parsing "maybe": invalid syntax', "why"),
    (["evicted", "--request-timeout", "soon"],
     "invalid value for '--request-timeout': 'soon' is not a duration (examples: 90s, 15m, 2h, 7d)", "evicted"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_usage_errors_are_two_kubectl_lines(pullmedic, args, message, command):
    result = pullmedic(*args, expect=2)
    path = f"kubectl pullmedic {command}".strip()
    assert result.stderr == f"error: {message}\nSee '{path} --help' for usage.\n"
    assert result.stdout == ""


def test_help_keeps_the_global_flags_in_the_groups_help(pullmedic, capsys):
    pullmedic("--help")  # click writes help to sys.stdout
    group = capsys.readouterr().out
    assert all(flag in group for flag in ("--cluster", "-s, --server", "--as-group", "--tls-server-name", "-v, --v"))
    pullmedic("why", "--help")
    why = capsys.readouterr().out
    assert "--token" not in why and "-n, --namespace" in why
    assert why.endswith('Use "kubectl pullmedic --help" for a list of global command-line options (applies to all commands).\n')


# -- 1. connection flags: TLS, tokens, client certificates, kubeconfig entries ---------------


def test_token_flag_authenticates_and_is_never_logged(pullmedic, make_sandbox, pki, tmp_path):
    sb = make_sandbox(objects=[EVICTED, NAMESPACE_SHOP], tls=(pki["server"], pki["server-key"]))
    config = kubeconfig(tmp_path / "config", {"c": {"server": sb.url, "certificate-authority": pki["ca"]}},
                        {"u": {"token": "wrong-token"}})
    refused = pullmedic("evicted", "-n", "shop", "--kubeconfig", config, expect=2)
    assert "refused the credentials (401 Unauthorized)" in refused.stderr
    result = pullmedic("evicted", "-n", "shop", "--kubeconfig", config, "--token", sb.token, "-v", "8")
    assert "evicted-1" in result.stdout
    assert sb.token not in result.stdout + result.stderr and "wrong-token" not in result.stderr
    assert "round_trippers.go:480]     Authorization: Bearer <masked>" in result.stderr


def test_client_certificate_is_presented(pullmedic, make_sandbox, pki, tmp_path):
    sb = make_sandbox(objects=[EVICTED], tls=(pki["server"], pki["server-key"]), client_ca=pki["ca"])
    config = kubeconfig(tmp_path / "config", {"c": {"server": sb.url, "certificate-authority": pki["ca"]}}, {"u": {}})
    assert "401 Unauthorized" in pullmedic("evicted", "-A", "--kubeconfig", config, expect=2).stderr
    result = pullmedic("evicted", "-A", "--kubeconfig", config,
                       "--client-certificate", pki["alice"], "--client-key", pki["alice-key"])
    assert "evicted-1" in result.stdout
    assert {r.client_cn for r in sb.requests if r.code == 200} == {"alice"}


def test_certificate_authority_and_insecure_skip_tls_verify(pullmedic, make_sandbox, pki, tmp_path):
    sb = make_sandbox(objects=[EVICTED], tls=(pki["server"], pki["server-key"]))
    config = kubeconfig(tmp_path / "config", {"c": {"server": sb.url}}, {"u": {"token": sb.token}})
    untrusted = pullmedic("evicted", "-A", "--kubeconfig", config, expect=2)
    assert "TLS certificate not trusted" in untrusted.stderr
    assert "evicted-1" in pullmedic("evicted", "-A", "--kubeconfig", config, "--certificate-authority", pki["ca"]).stdout
    insecure = pullmedic("evicted", "-A", "--kubeconfig", config, "--insecure-skip-tls-verify")
    assert "evicted-1" in insecure.stdout and "Warning" not in insecure.stderr
    both = pullmedic("evicted", "-A", "--kubeconfig", config, "--insecure-skip-tls-verify",
                     "--certificate-authority", pki["ca"], expect=2)
    assert both.stderr == "error: specifying a root certificates file with the insecure flag is not allowed\n"


def test_server_and_tls_server_name(pullmedic, make_sandbox, pki, tmp_path):
    sb = make_sandbox(objects=[EVICTED], tls=(pki["named"], pki["named-key"]))
    config = kubeconfig(tmp_path / "config", {"c": {"server": "https://127.0.0.1:9", "certificate-authority": pki["ca"]}},
                        {"u": {"token": sb.token}})
    assert "connection refused" in pullmedic("evicted", "-A", "--kubeconfig", config, expect=2).stderr
    mismatch = pullmedic("evicted", "-A", "--kubeconfig", config, "-s", sb.url, expect=2)
    assert "cannot reach the API server at " + sb.url in mismatch.stderr  # the cert names api.internal only
    named = pullmedic("evicted", "-A", "--kubeconfig", config, "--server=" + sb.url, "--tls-server-name", "api.internal")
    assert "evicted-1" in named.stdout


def test_cluster_and_user_pick_kubeconfig_entries(pullmedic, make_sandbox, pki, tmp_path):
    sb = make_sandbox(objects=[EVICTED], tls=(pki["server"], pki["server-key"]))
    config = kubeconfig(
        tmp_path / "config",
        {"broken": {"server": "https://127.0.0.1:9"}, "good": {"server": sb.url, "certificate-authority": pki["ca"]}},
        {"stale": {"token": "stale"}, "robot": {"token": sb.token}},
        context={"cluster": "broken", "user": "stale"},
    )
    assert "evicted-1" in pullmedic("evicted", "-A", "--kubeconfig", config, "--cluster", "good", "--user", "robot").stdout
    for flag, expected in (("--cluster", 'no server found for cluster "nope"'), ("--user", 'auth info "nope" does not exist')):
        ours = pullmedic("evicted", "-A", "--kubeconfig", config, flag, "nope", expect=2).stderr
        theirs = run_kubectl(config, "get", "pods", flag, "nope", tmp_path=tmp_path).stderr
        assert ours == theirs == f"error: {expected}\n"


def test_server_and_token_without_any_kubeconfig(pullmedic, make_sandbox, pki, tmp_path):
    sb = make_sandbox(objects=[EVICTED], tls=(pki["server"], pki["server-key"]))
    result = pullmedic("evicted", "-A", "-s", sb.url, "--token", sb.token, "--certificate-authority", pki["ca"],
                       environ={"HOME": str(tmp_path)})
    assert "evicted-1" in result.stdout


def test_impersonation_headers_on_every_request_as_kubectl_sends_them(pullmedic, make_sandbox, tmp_path):
    sb = make_sandbox(objects=[EVICTED])
    flags = ["--as", "alice", "--as-group", "dev", "--as-uid", "42"]
    pullmedic(*flags, "evicted", "-n", "shop", "--as-group=ops", sandbox=sb)  # before and after add up
    seen = [headers_named(r, "Impersonate-") for r in sb.requests]
    expected = [("impersonate-user", "alice"), ("impersonate-uid", "42"),
                ("impersonate-group", "dev"), ("impersonate-group", "ops")]
    assert len(seen) > 2 and all(sorted(headers) == sorted(expected) for headers in seen)
    sb.clear_requests()
    run_kubectl(sb.kubeconfig_path, "get", "pods", "-n", "shop", *flags, "--as-group=ops", tmp_path=tmp_path)
    assert sorted(headers_named(requests_for(sb, "/api/v1/namespaces/shop/pods")[-1], "Impersonate-")) == sorted(expected)
    ours = pullmedic("evicted", "--as-group", "dev", sandbox=sb, expect=2).stderr
    theirs = run_kubectl(sb.kubeconfig_path, "get", "pods", "--as-group", "dev", tmp_path=tmp_path).stderr
    assert ours == theirs == "error: requesting uid, groups or user-extra for pullmedic-sandbox without impersonating a user\n"


def test_compression_is_asked_for_unless_disabled(pullmedic, make_sandbox):
    sb = make_sandbox(objects=[EVICTED])
    pullmedic("evicted", "-n", "shop", sandbox=sb)
    assert all(("accept-encoding", "gzip") in headers_named(r, "Accept-Encoding") for r in sb.requests)
    sb.clear_requests()
    pullmedic("evicted", "-n", "shop", "--disable-compression", sandbox=sb)
    assert sb.requests and not any(("accept-encoding", "gzip") in headers_named(r, "Accept-Encoding") for r in sb.requests)


def test_v6_logs_each_request_in_kubectls_format(pullmedic, make_sandbox, tmp_path):
    sb = make_sandbox(objects=[EVICTED])
    ours = [V6_LINE.match(line) for line in pullmedic("evicted", "-n", "shop", "-v=6", sandbox=sb).stderr.splitlines()]
    assert ours and all(ours)
    assert [m.group(2) for m in ours][:2] == [f"{sb.url}/api/v1/namespaces/shop",
                                               f"{sb.url}/api/v1/namespaces/shop/pods?limit=500&fieldSelector=status.phase%3DFailed"]
    theirs = run_kubectl(sb.kubeconfig_path, "get", "pods", "-n", "shop", "-v=6", tmp_path=tmp_path).stderr
    assert any(V6_LINE.match(line) for line in theirs.splitlines())  # the same shape, from kubectl itself
    assert "round_trippers" not in pullmedic("evicted", "-n", "shop", "-v", "5", sandbox=sb).stderr


# -- 4. a namespace named with -n must exist -------------------------------------------------


def test_missing_namespace_is_an_error_only_when_named(pullmedic, make_sandbox):
    sb = make_sandbox(objects=[EVICTED], namespace="ghost")
    result = pullmedic("evicted", "-n", "nope", sandbox=sb, expect=2)
    assert result.stderr == 'error: namespace "nope" not found\n'
    assert pullmedic("why", "web-1", "-n", "nope", sandbox=sb, expect=2).stderr == 'error: namespace "nope" not found\n'
    assert pullmedic("evicted", "-A", "-n", "nope", sandbox=sb).stdout  # -A wins, as in kubectl
    sb.clear_requests()
    assert pullmedic("evicted", sandbox=sb).stderr == "No evicted pods found in ghost namespace.\n"  # the context's: no check
    assert not requests_for(sb, "/api/v1/namespaces/ghost")
    pullmedic("evicted", "-n", "shop", sandbox=sb)
    assert len(requests_for(sb, "/api/v1/namespaces/shop")) == 1


def test_namespace_check_refused_is_a_warning(pullmedic, make_sandbox):
    sb = make_sandbox(objects=[EVICTED], forbid=["get:namespaces"])
    result = pullmedic("evicted", "-n", "shop", sandbox=sb)
    assert result.stderr.startswith('Warning: cannot check that namespace "shop" exists: namespaces "shop" is forbidden')
    assert "evicted-1" in result.stdout


# -- 3. exec credential plugins --------------------------------------------------------------


def exec_user(command: str, **extra: Any) -> Dict[str, Any]:
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": command, **extra}}


def test_failing_exec_plugin_in_kubectls_words(pullmedic, make_sandbox, pki, tmp_path):
    sb = make_sandbox(objects=[EVICTED], tls=(pki["server"], pki["server-key"]))
    plugin = script(tmp_path, "aws", "echo 'An error occurred (ExpiredToken) when calling GetCallerIdentity' >&2\nexit 255\n")
    config = kubeconfig(tmp_path / "config", {"c": {"server": sb.url, "certificate-authority": pki["ca"]}},
                        {"u": exec_user(plugin)})
    result = pullmedic("evicted", "-A", "--kubeconfig", config, expect=2)
    assert result.stderr == ("An error occurred (ExpiredToken) when calling GetCallerIdentity\n"
                             f"error: getting credentials: exec: executable {plugin} failed with exit code 255\n")
    assert not sb.requests  # no request went out without credentials
    theirs = run_kubectl(config, "get", "pods", "-A", tmp_path=tmp_path).stderr
    assert theirs.rstrip("\n").endswith(result.stderr.splitlines()[1][len("error: "):])
    # a token on the command line is used instead, as kubectl does: the plugin is not run
    assert "evicted-1" in pullmedic("evicted", "-A", "--kubeconfig", config, "--token", sb.token).stdout


def test_missing_exec_plugin_in_kubectls_words(pullmedic, pki, tmp_path):
    config = kubeconfig(tmp_path / "config", {"c": {"server": "https://127.0.0.1:9", "certificate-authority": pki["ca"]}},
                        {"u": exec_user("no-such-credential-plugin", installHint="Install it from https://example.com/plugin")})
    result = pullmedic("evicted", "-A", "--kubeconfig", config, expect=2)
    assert result.stderr.startswith("error: getting credentials: exec: executable no-such-credential-plugin not found\n\n"
                                    "It looks like you are trying to use a client-go credential plugin that is not installed.")
    assert "ERROR:root" not in result.stderr and "401" not in result.stderr
    theirs = run_kubectl(config, "get", "pods", "-A", tmp_path=tmp_path).stderr
    kubectl_text = theirs[theirs.rindex("Unable to connect to the server: ") + len("Unable to connect to the server: "):]
    assert result.stderr[len("error: "):] == kubectl_text


def test_working_exec_plugin_token(pullmedic, make_sandbox, pki, tmp_path):
    sb = make_sandbox(objects=[EVICTED], tls=(pki["server"], pki["server-key"]))
    credential = {"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                  "status": {"token": sb.token}}
    plugin = script(tmp_path, "token-plugin", f"echo '{json.dumps(credential)}'\n")
    config = kubeconfig(tmp_path / "config", {"c": {"server": sb.url, "certificate-authority": pki["ca"]}},
                        {"u": exec_user(plugin)})
    result = pullmedic("evicted", "-A", "--kubeconfig", config, "-v", "7")
    assert "evicted-1" in result.stdout and sb.token not in result.stderr


# -- 5. time-outs ----------------------------------------------------------------------------


@pytest.fixture
def silent_server(tmp_path):
    """A TCP server that accepts connections and never answers; yields a kubeconfig for it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    held, stop = [], threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except socket.timeout:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    yield url, kubeconfig(tmp_path / "silent", {"c": {"server": url}}, {"u": {}})
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def run_guarded(pullmedic, *args: str) -> Any:
    """Run the command in a thread so that a hang fails the test instead of the suite."""
    box: Dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(result=pullmedic(*args, expect=None)), daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the command hung"
    return box["result"]


def test_silent_server_with_request_timeout(pullmedic, silent_server):
    url, config = silent_server
    result = run_guarded(pullmedic, "evicted", "-A", "--kubeconfig", config, "--request-timeout=1s")
    assert result.code == 2
    assert result.stderr.splitlines()[0] == (
        f"error: the API server at {url} accepted the connection but did not answer GET /api/v1/pods within 1s "
        "(--request-timeout)")


def test_silent_server_without_request_timeout_ends_at_the_default(pullmedic, silent_server, monkeypatch):
    from kubectl_pullmedic.cluster import api

    monkeypatch.setattr(api, "READ_TIMEOUT", 0.5)  # the default is 60 s; the path is the same
    url, config = silent_server
    result = run_guarded(pullmedic, "evicted", "-A", "--kubeconfig", config)
    assert result.code == 2
    assert result.stderr.splitlines() == [
        f"error: the API server at {url} accepted the connection but did not answer GET /api/v1/pods within 0.5s",
        "hint: a slow API server needs a longer --request-timeout (e.g. --request-timeout=5m; 0 waits forever)",
    ]


def test_request_timeout_zero_means_no_read_limit(silent_server):
    from kubectl_pullmedic.cluster.api import CONNECT_TIMEOUT, READ_TIMEOUT, Cluster

    _, config = silent_server
    timeouts = {value: Cluster.connect(kubeconfig=config, context=None, namespace=None, environ={},
                                       request_timeout=value)._timeout for value in (None, 0.0, 5.0)}
    assert (timeouts[None].connect_timeout, timeouts[None].read_timeout) == (CONNECT_TIMEOUT, READ_TIMEOUT)
    assert (timeouts[0.0].connect_timeout, timeouts[0.0].read_timeout) == (CONNECT_TIMEOUT, None)
    assert timeouts[5.0].total == 5.0


# -- 6. through kubectl's plugin discovery ---------------------------------------------------


def test_flags_through_kubectl_plugin_discovery(make_sandbox, tmp_path):
    sb = make_sandbox(objects=[EVICTED])
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "kubectl-pullmedic").exists(), "install the project (pip install -e .)"
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", HOME=str(tmp_path))
    result = subprocess.run([KUBECTL, "pullmedic", "evicted", "-n=shop", "-v=6", "--as", "alice", "-o", "json",
                             "--kubeconfig", sb.kubeconfig_path], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert [item["name"] for item in json.loads(result.stdout)["items"]] == ["evicted-1"]
    assert all(V6_LINE.match(line) for line in result.stderr.splitlines())
    assert all(("impersonate-user", "alice") in headers_named(r, "Impersonate-") for r in sb.requests)
    unknown = subprocess.run([KUBECTL, "pullmedic", "why", "--nmespace", "x"], capture_output=True, text=True,
                             env=env, timeout=60)
    assert (unknown.returncode, unknown.stderr) == (
        2, "error: unknown flag: --nmespace (did you mean --namespace?)\nSee 'kubectl pullmedic why --help' for usage.\n")
