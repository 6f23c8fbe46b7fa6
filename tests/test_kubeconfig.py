"""Kubeconfig resolution follows kubectl's rules (client-go clientcmd), not the Python client's."""

from __future__ import annotations

import os

import pytest
import yaml

from kubectl_pullmedic.errors import ConfigError
from kubectl_pullmedic.cluster.kubeconfig import kubeconfig_paths, load_connection


def write_config(path, *, current=None, contexts=(), servers=None, token="t0k3n"):
    """A kubeconfig with one cluster/user per context name; ``contexts`` holds (name, namespace)."""
    servers = servers or {}
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": name, "cluster": {"server": servers.get(name, f"http://127.0.0.1:1/{name}")}}
            for name, _ in contexts
        ],
        "users": [{"name": name, "user": {"token": token}} for name, _ in contexts],
        "contexts": [
            {"name": name, "context": dict({"cluster": name, "user": name}, **({"namespace": ns} if ns else {}))}
            for name, ns in contexts
        ],
    }
    if current is not None:
        document["current-context"] = current
    path.write_text(yaml.safe_dump(document))
    return str(path)


def test_flag_wins_over_environment(tmp_path):
    flag = write_config(tmp_path / "a", current="a", contexts=[("a", "team-a")])
    env = write_config(tmp_path / "b", current="b", contexts=[("b", "team-b")])
    conn = load_connection(flag, None, None, {"KUBECONFIG": env})
    assert (conn.context, conn.namespace) == ("a", "team-a")


def test_kubeconfig_env_merges_files_first_current_context_wins(tmp_path):
    first = write_config(tmp_path / "first", current="prod", contexts=[("prod", "shop")])
    second = write_config(tmp_path / "second", current="dev", contexts=[("dev", None), ("prod", "ignored")])
    environ = {"KUBECONFIG": os.pathsep.join([first, second])}
    conn = load_connection(None, None, None, environ)
    # kubectl: the first file that sets current-context wins, and the first definition of a name wins.
    assert conn.context == "prod"
    assert conn.namespace == "shop"
    assert conn.server.endswith("/prod")
    # a context defined only in the second file is reachable with --context
    dev = load_connection(None, "dev", None, environ)
    assert (dev.context, dev.namespace) == ("dev", "default")


def test_missing_entries_in_kubeconfig_env_are_skipped(tmp_path):
    real = write_config(tmp_path / "real", current="x", contexts=[("x", None)])
    paths = kubeconfig_paths(None, {"KUBECONFIG": os.pathsep.join([str(tmp_path / "nope"), real])})
    assert paths == [real]


def test_home_config_is_the_fallback(tmp_path):
    (tmp_path / ".kube").mkdir()
    write_config(tmp_path / ".kube" / "config", current="home", contexts=[("home", "ns-home")])
    conn = load_connection(None, None, None, {"HOME": str(tmp_path)})
    assert (conn.context, conn.namespace) == ("home", "ns-home")


def test_namespace_flag_beats_context_namespace(tmp_path):
    cfg = write_config(tmp_path / "c", current="a", contexts=[("a", "from-context")])
    assert load_connection(cfg, None, "from-flag", {}).namespace == "from-flag"


def test_token_becomes_bearer_header_over_https_only(tmp_path):
    servers = {"secure": "https://127.0.0.1:6443", "plain": "http://127.0.0.1:8080"}
    cfg = write_config(tmp_path / "c", current="secure", contexts=[("secure", None), ("plain", None)], servers=servers, token="abc123")
    assert load_connection(cfg, None, None, {}).auth_headers() == {"authorization": "Bearer abc123"}
    # kubectl never sends credentials over plain HTTP, and neither do we
    assert load_connection(cfg, "plain", None, {}).auth_headers() == {}


@pytest.mark.parametrize(
    "content, expected",
    [
        ("clusters: [\n  - name: a\n", "not valid YAML"),
        ("- just\n- a list\n", "malformed"),
        ("apiVersion: v1\nkind: Config\ncontexts: []\nclusters: []\nusers: []\n", "no current-context"),
    ],
    ids=["bad-yaml", "not-a-mapping", "no-current-context"],
)
def test_broken_kubeconfig_is_one_clear_error(tmp_path, content, expected):
    path = tmp_path / "broken"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_connection(str(path), None, None, {})
    assert expected in caught.value.message
    assert "\n" not in caught.value.message


def test_unknown_context_names_the_known_ones(tmp_path):
    cfg = write_config(tmp_path / "c", current="a", contexts=[("a", None), ("b", None)])
    with pytest.raises(ConfigError) as caught:
        load_connection(cfg, "prod", None, {})
    assert caught.value.message == 'context "prod" does not exist (known contexts: a, b)'


def test_missing_kubeconfig_flag_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_connection(str(tmp_path / "absent"), None, None, {})


def test_nothing_configured_points_to_the_demo(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_connection(None, None, None, {"HOME": str(tmp_path)})
    assert "no kubeconfig found" in caught.value.message
    assert "demo" in caught.value.hint
