"""The pull-secret commands every fix prints, written once so `why` and `secrets-check` agree.

Each is paste-ready: placeholders are explicit (``<user>``, ``<password-or-token>``), never
``...``; a secret that exists is replaced through ``kubectl apply`` (``create`` would fail), and
one whose type must change is deleted first (a Secret's type is immutable).
"""

from __future__ import annotations

from typing import Any, Dict

from ..kube import name_of, namespace_of
from .dockerconfig import DOCKERCFG_TYPE, PULL_SECRET_DATA_KEYS

DOCKER_HUB_SERVER = "https://index.docker.io/v1/"  # kubectl's default --docker-server
_REPLACE = " --dry-run=client -o yaml | kubectl apply -f -"


def settle_with(unreadable: str) -> str:
    """Who can settle a secret that was not read: a refusal needs another account; a dump that left
    secrets out needs the cluster itself.

    >>> settle_with("forbidden")
    'with an account that may read secrets'
    >>> settle_with("not-in-dump")
    'on the live cluster'
    """
    return "on the live cluster" if unreadable == "not-in-dump" else \
        "with an account that may read secrets"


def docker_server(registry: str, docker_hub: bool) -> str:
    """The ``--docker-server`` that writes the key the kubelet looks up for ``registry``."""
    return DOCKER_HUB_SERVER if docker_hub else registry


def create_secret(name: str, namespace: str, server: str, *, replace: bool = False) -> str:
    """``kubectl create secret docker-registry``; with ``replace``, over an existing secret of that type.

    >>> create_secret("regcred", "shop", "ghcr.io")
    'kubectl create secret docker-registry regcred --docker-server=ghcr.io --docker-username=<user> --docker-password=<password-or-token> -n shop'
    """
    command = (f"kubectl create secret docker-registry {name} --docker-server={server} "
               f"--docker-username=<user> --docker-password=<password-or-token> -n {namespace}")
    return command + (_REPLACE if replace else "")


def recreate_with_type(name: str, namespace: str, server: str) -> str:
    """A secret of the wrong type: the type cannot be changed in place, so delete and create."""
    return f"kubectl delete secret {name} -n {namespace} && " + create_secret(name, namespace, server)


def add_registry_key(name: str, namespace: str, secret_type: str, existing_key: str, new_key: str) -> str:
    """Copy an entry of a pull secret under the key the kubelet matches, keeping every other entry.

    The credentials never reach the terminal: they go from the secret through jq back into it.

    >>> add_registry_key("reg", "shop", "kubernetes.io/dockerconfigjson", "registry.example.com",
    ...                  "registry.example.com:5000")  # doctest: +NORMALIZE_WHITESPACE
    'kubectl get secret reg -n shop -o jsonpath=\\'{.data.\\\\.dockerconfigjson}\\' | base64 -d
     | jq \\'.auths["registry.example.com:5000"] = .auths["registry.example.com"]\\'
     | kubectl create secret generic reg --type=kubernetes.io/dockerconfigjson
     --from-file=.dockerconfigjson=/dev/stdin -n shop --dry-run=client -o yaml | kubectl apply -f -'
    """
    legacy = secret_type == DOCKERCFG_TYPE
    data_key = ".dockercfg" if legacy else ".dockerconfigjson"
    path = "." if legacy else ".auths"
    return (f"kubectl get secret {name} -n {namespace} -o jsonpath='{{.data.\\{data_key}}}' | base64 -d "
            f"| jq '{path}[\"{new_key}\"] = {path}[\"{existing_key}\"]' "
            f"| kubectl create secret generic {name} --type={secret_type} --from-file={data_key}=/dev/stdin "
            f"-n {namespace}{_REPLACE}")


def copy_secret(source: Dict[str, Any], namespace: str) -> str:
    """A shell line copying a pull secret of another namespace into ``namespace`` without printing its
    content (secrets are namespaced: a pod sees only its own namespace's); "" when it is no pull secret."""
    secret_type = str(source.get("type") or "")
    data_key = PULL_SECRET_DATA_KEYS.get(secret_type)
    if data_key is None:
        return ""
    name, escaped = name_of(source), data_key.replace(".", "\\.")
    return (
        f"copy it: kubectl create secret generic {name} -n {namespace} --type={secret_type} "
        f"--from-file={data_key}=<(kubectl get secret {name} -n {namespace_of(source)} "
        f"-o jsonpath='{{.data.{escaped}}}' | base64 -d)"
    )
