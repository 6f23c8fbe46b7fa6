"""The sandbox's writing verbs: create, update and patch, over HTTP and through the real kubectl.

Patch semantics are checked on their own first (strategic merge as apimachinery's
strategicpatch applies it, RFC 7386, RFC 6902), then the server: content types, dry runs,
resourceVersion conflicts, generation, status, validation, RBAC, and kubectl's own commands.
"""

from __future__ import annotations

import base64
import doctest
import json
import urllib.error
import urllib.request
from typing import Any, Dict, Optional, Tuple

import pytest

import kubectl_pullmedic.sandbox.jsonpatch as jsonpatch
import kubectl_pullmedic.sandbox.openapi as openapi
import kubectl_pullmedic.sandbox.protobuf as protobuf
import kubectl_pullmedic.sandbox.strategic as strategic
import kubectl_pullmedic.sandbox.strategy as strategy
from conftest import build_pod
from kubectl_pullmedic.sandbox.status import ApiStatus

Obj = Dict[str, Any]
SMP = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def deployment(name: str = "api", namespace: str = "shop", image: str = "app:1", **template_spec: Any) -> Obj:
    spec = {"containers": [{"name": "app", "image": image}], **template_spec}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "generation": 1},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": spec}},
        "status": {"observedGeneration": 1, "replicas": 1},
    }


def call(sb, method: str, path: str, payload: Any = None, content_type: str = "application/json",
         raw: Optional[bytes] = None) -> Tuple[int, Obj]:
    data = raw if raw is not None else (None if payload is None else json.dumps(payload).encode())
    request = urllib.request.Request(sb.url + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


DEPLOY = "/apis/apps/v1/namespaces/shop/deployments/api"


@pytest.mark.parametrize("module", [jsonpatch, openapi, protobuf, strategic, strategy], ids=lambda m: m.__name__)
def test_doctests(module: Any) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


# ----- strategic merge patch ------------------------------------------------------------------

def test_strategic_merge_lists_merge_on_their_key_and_keep_the_patch_order():
    pod = {"spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}],
                    "tolerations": [{"key": "x"}], "volumes": [{"name": "v", "emptyDir": {}}]}}
    patch = {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
                      "containers": [{"name": "a", "image": "a:2"}], "tolerations": [{"key": "y"}],
                      "volumes": [{"name": "w", "secret": {"secretName": "s"}}]}}
    patched = strategic.apply(pod, patch)
    assert patched["spec"]["containers"] == [{"name": "b", "image": "b:1"}, {"name": "a", "image": "a:2"}]
    assert patched["spec"]["tolerations"] == [{"key": "y"}]  # no patch strategy: replaced
    assert [v["name"] for v in patched["spec"]["volumes"]] == ["v", "w"]
    assert pod["spec"]["containers"][0]["image"] == "a:1"  # the input is not changed


def test_strategic_merge_directives():
    pod = {"metadata": {"finalizers": ["a", "b"], "labels": {"x": "1"}},
           "spec": {"containers": [{"name": "a", "env": [{"name": "E", "value": "1"}], "resources": {"limits": {"cpu": "1"}}}],
                    "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "1Gi"}}]}}
    patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["c"], "labels": {"$patch": "replace", "y": "2"}},
             "spec": {"containers": [{"name": "a", "env": [{"name": "E", "$patch": "delete"}],
                                      "resources": {"$patch": "delete"}}],
                      "volumes": [{"name": "v", "$retainKeys": ["name", "secret"], "secret": {"secretName": "s"}}]}}
    patched = strategic.apply(pod, patch)
    assert patched["metadata"] == {"finalizers": ["c", "b"], "labels": {"y": "2"}}  # new items first, as in Go
    assert patched["spec"]["containers"] == [{"name": "a", "env": [], "resources": {}}]
    assert patched["spec"]["volumes"] == [{"name": "v", "secret": {"secretName": "s"}}]
    replaced = strategic.apply(pod, {"spec": {"containers": [{"$patch": "replace"}, {"name": "z", "image": "z"}]}})
    assert replaced["spec"]["containers"] == [{"name": "z", "image": "z"}]


def test_strategic_merge_refuses_what_the_real_server_refuses():
    with pytest.raises(ApiStatus) as missing_key:
        strategic.apply({"spec": {"containers": [{"name": "a"}]}}, {"spec": {"containers": [{"image": "x"}]}})
    assert (missing_key.value.code, missing_key.value.message) == (
        500, "Internal error occurred: map: map[image:x] does not contain declared merge key: name")
    with pytest.raises(ApiStatus) as bad_retain:
        strategic.apply({"a": {"b": 1}}, {"a": {"$retainKeys": ["b"], "c": 2}})
    assert (bad_retain.value.code, bad_retain.value.message) == (400, "invalid patch format of retainKeys")


def test_new_fields_lose_their_nulls():
    assert strategic.apply({}, {"spec": {"a": None, "b": {"c": None, "d": 1}}}) == {"spec": {"b": {"d": 1}}}


# ----- merge patch and JSON patch ---------------------------------------------------------------

@pytest.mark.parametrize("target, patch, result", [  # RFC 7386, appendix A
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_merge_patch_rfc7386(target, patch, result):
    assert jsonpatch.merge_patch(target, patch) == result


def test_json_patch_operations_and_failures():
    doc = {"a": {"b": [1, 2]}, "c": "d"}
    ops = [{"op": "add", "path": "/a/b/-", "value": 3}, {"op": "add", "path": "/a/b/0", "value": 0},
           {"op": "remove", "path": "/c"}, {"op": "copy", "from": "/a/b", "path": "/e"},
           {"op": "move", "from": "/e", "path": "/f"}, {"op": "replace", "path": "/a/x~1y", "value": 1}]
    with pytest.raises(ApiStatus):
        jsonpatch.json_patch(doc, ops)  # /a/x~1y does not exist: replace needs it
    patched = jsonpatch.json_patch(doc, ops[:-1] + [{"op": "test", "path": "/f/3", "value": 3}])
    assert patched == {"a": {"b": [0, 1, 2, 3]}, "f": [0, 1, 2, 3]}
    with pytest.raises(ApiStatus) as failed_test:
        jsonpatch.json_patch(doc, [{"op": "test", "path": "/c", "value": "x"}])
    assert (failed_test.value.code, failed_test.value.message) == (
        422, "the server rejected our request due to an error in our request")
    assert doc == {"a": {"b": [1, 2]}, "c": "d"}


# ----- protobuf ---------------------------------------------------------------------------------

def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) if len(payload) < 128 else \
        bytes([number << 3 | 2, len(payload) & 0x7F | 0x80, len(payload) >> 7])


def _message(*parts: Tuple[int, bytes]) -> bytes:
    return b"".join(_field(number, payload) + payload for number, payload in parts)


def test_protobuf_secret_as_kubectl_create_secret_sends_it():
    config = b'{"auths":{"a.io":{"username":"u","password":"p","auth":"dTpw"}}}'
    metadata = _message((1, b"x"), (2, b""), (3, b"ml"), (4, b""), (5, b"")) + b"\x32\x00\x38\x00\x42\x00"
    secret = _message((1, metadata), (2, _message((1, b".dockerconfigjson"), (2, config))),
                      (3, b"kubernetes.io/dockerconfigjson"))
    body = b"k8s\x00" + _message((1, _message((1, b"v1"), (2, b"Secret"))), (2, secret), (3, b""), (4, b""))
    assert protobuf.decode(body) == {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": "ml"},
        "data": {".dockerconfigjson": base64.b64encode(config).decode()}, "type": "kubernetes.io/dockerconfigjson"}
    with pytest.raises(protobuf.ProtobufError):
        protobuf.decode(b"k8s\x00" + _message((1, _message((1, b"apps/v1"), (2, b"Deployment")))))


# ----- the server ---------------------------------------------------------------------------------

def test_create_dry_run_generate_name_conflict_and_invalid_names(make_sandbox):
    sb = make_sandbox(objects=[build_pod("p", "shop")])
    path = "/api/v1/namespaces/shop/secrets"
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}}
    code, dry = call(sb, "POST", path + "?dryRun=All&fieldManager=test", secret)
    assert code == 201 and dry["data"] == {"k": "dg=="} and sb.get("secret", "shop", "s") is None
    assert call(sb, "POST", path, secret)[0] == 201
    code, status = call(sb, "POST", path, secret)
    assert (code, status["reason"], status["message"]) == (409, "AlreadyExists", 'secrets "s" already exists')
    code, made = call(sb, "POST", path, {"metadata": {"generateName": "s-"}, "type": "Opaque"})
    assert code == 201 and made["metadata"]["name"].startswith("s-") and len(made["metadata"]["name"]) == 7
    code, status = call(sb, "POST", path, {"metadata": {"name": "Bad_Name"}})
    assert code == 422 and status["message"].startswith('Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"')
    code, status = call(sb, "POST", path, {"metadata": {"name": "p"}, "type": "kubernetes.io/dockerconfigjson"})
    assert (code, status["message"]) == (422, 'Secret "p" is invalid: data[.dockerconfigjson]: Required value')
    code, status = call(sb, "POST", path, raw=b"x: 1", content_type="text/plain")
    assert code == 415 and status["reason"] == "UnsupportedMediaType"
    code, status = call(sb, "POST", "/api/v1/namespaces/nowhere/secrets", secret)
    assert (code, status["message"]) == (404, 'namespaces "nowhere" not found')


def test_create_resets_status_and_starts_generation(make_sandbox):
    sb = make_sandbox(objects=[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}])
    code, created = call(sb, "POST", "/apis/apps/v1/namespaces/shop/deployments", deployment())
    assert code == 201 and created["metadata"]["generation"] == 1 and "status" not in created
    code, pod = call(sb, "POST", "/api/v1/namespaces/shop/pods", build_pod("p", "shop"))
    assert code == 201 and pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_update_conflicts_on_a_stale_resource_version_and_bumps_generation_on_spec_changes(make_sandbox):
    sb = make_sandbox(objects=[deployment()])
    current = sb.get("deployment", "shop", "api")
    stale = json.loads(json.dumps(current))
    current["spec"]["replicas"] = 3
    current["status"] = {"replicas": 99}
    code, updated = call(sb, "PUT", DEPLOY, current)
    assert code == 200 and updated["metadata"]["generation"] == 2 and updated["status"]["replicas"] == 1
    assert int(updated["metadata"]["resourceVersion"]) > int(current["metadata"]["resourceVersion"])
    code, status = call(sb, "PUT", DEPLOY, stale)
    assert (code, status["reason"], status["details"]) == (409, "Conflict", {"name": "api", "group": "apps", "kind": "deployments"})
    assert status["message"] == ('Operation cannot be fulfilled on deployments.apps "api": the object has been modified; '
                                 "please apply your changes to the latest version and try again")
    code, same = call(sb, "PUT", DEPLOY, updated)
    assert code == 200 and same["metadata"]["resourceVersion"] == updated["metadata"]["resourceVersion"]  # no-op
    updated["metadata"]["annotations"] = {"a": "b"}
    updated["metadata"].pop("resourceVersion")
    assert call(sb, "PUT", DEPLOY, updated)[1]["metadata"]["generation"] == 3  # a Deployment's annotations count
    code, status = call(sb, "PUT", DEPLOY, dict(updated, metadata={"name": "other"}))
    assert (code, status["message"]) == (400, "the name of the object (other) does not match the name on the URL (api)")
    code, status = call(sb, "PUT", "/apis/apps/v1/namespaces/shop/deployments/nope", dict(updated, metadata={"name": "nope"}))
    assert (code, status["reason"]) == (404, "NotFound")


@pytest.mark.parametrize("content_type, patch", [
    (SMP, {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}}),
    (MERGE, {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}}),
    (JSON_PATCH, [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "app:2"}]),
])
def test_each_patch_type_sets_the_image(make_sandbox, content_type, patch):
    sb = make_sandbox(objects=[deployment()])
    code, dry = call(sb, "PATCH", DEPLOY + "?dryRun=All", patch, content_type)
    assert code == 200 and dry["spec"]["template"]["spec"]["containers"][0]["image"] == "app:2"
    assert sb.get("deployment", "shop", "api")["spec"]["template"]["spec"]["containers"][0]["image"] == "app:1"
    code, patched = call(sb, "PATCH", DEPLOY + "?fieldManager=kubectl-set", patch, content_type)
    assert code == 200 and patched["spec"]["template"]["spec"]["containers"] == [{"name": "app", "image": "app:2"}]
    assert patched["metadata"]["generation"] == 2 and patched["status"]["replicas"] == 1


def test_patch_refusals(make_sandbox):
    sb = make_sandbox(objects=[deployment(), build_pod("p", "shop")])
    code, status = call(sb, "PATCH", DEPLOY, {"spec": {}}, "application/apply-patch+yaml")
    assert code == 415 and status["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json")
    assert call(sb, "PATCH", DEPLOY, raw=b"{", content_type=SMP)[1]["message"] == "invalid JSON patch"
    code, status = call(sb, "PATCH", DEPLOY, {"metadata": {"resourceVersion": "999"}}, MERGE)
    assert (code, status["reason"]) == (409, "Conflict")
    code, status = call(sb, "PATCH", DEPLOY, {"spec": {"selector": {"matchLabels": {"app": "x"}}}}, MERGE)
    assert code == 422 and status["message"].startswith('Deployment.apps "api" is invalid: spec.selector: Invalid value:')
    too_big = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}}]}}}}
    code, status = call(sb, "PATCH", DEPLOY, too_big, SMP)
    assert (code, status["message"]) == (422, (
        'Deployment.apps "api" is invalid: spec.template.spec.containers[0].resources.requests[memory]: '
        'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi'))
    pod = "/api/v1/namespaces/shop/pods/p"
    assert call(sb, "PATCH", pod, {"spec": {"containers": [{"name": "app", "image": "new:1"}]}}, SMP)[0] == 200
    code, status = call(sb, "PATCH", pod, {"spec": {"imagePullSecrets": [{"name": "s"}]}}, SMP)
    assert code == 422 and status["message"].startswith(
        'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`')
    code, status = call(sb, "PATCH", "/apis/apps/v1/namespaces/shop/deployments/nope", {}, MERGE)
    assert (code, status["message"]) == (404, 'deployments.apps "nope" not found')


def test_write_verbs_obey_rbac_and_discovery_lists_them(make_sandbox):
    sb = make_sandbox(objects=[deployment()], forbid=["patch:deployments", "update:deployments:shop", "create:secrets"])
    code, status = call(sb, "PATCH", DEPLOY, {}, MERGE)
    assert (code, status["message"]) == (403, (
        'deployments.apps "api" is forbidden: User "system:serviceaccount:default:pullmedic" cannot patch resource '
        '"deployments" in API group "apps" in the namespace "shop"'))
    assert call(sb, "PUT", DEPLOY, sb.get("deployment", "shop", "api"))[0] == 403
    assert call(sb, "POST", "/api/v1/namespaces/shop/secrets", {"metadata": {"name": "s"}})[0] == 403
    code, discovery = call(sb, "GET", "/apis/apps/v1")
    assert {"create", "update", "patch"} <= set(discovery["resources"][0]["verbs"])


def test_openapi_v3_tells_kubectl_the_server_validates_fields(make_sandbox):
    sb = make_sandbox()
    code, index = call(sb, "GET", "/openapi/v3")
    assert code == 200 and set(index["paths"]) == {"api/v1", "apis/apps/v1", "apis/batch/v1"}
    code, document = call(sb, "GET", index["paths"]["api/v1"]["serverRelativeURL"])
    patch = document["paths"]["/api/v1/namespaces/{namespace}/secrets/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "kind": "Secret", "version": "v1"}
    assert "fieldValidation" in [parameter["name"] for parameter in patch["parameters"]]
    assert call(sb, "GET", "/openapi/v2")[0] == 404


# ----- the real kubectl ---------------------------------------------------------------------------

def test_kubectl_creates_secrets_service_accounts_and_namespaces(make_sandbox, kubectl):
    sb = make_sandbox(objects=[build_pod("p", "shop")])
    kubectl(sb, "create", "secret", "docker-registry", "reg", "-n", "shop", "--docker-server=r.io:5000",
            "--docker-username=u", "--docker-password=p")
    secret = sb.get("secret", "shop", "reg")
    auths = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))["auths"]
    assert secret["type"] == "kubernetes.io/dockerconfigjson" and auths["r.io:5000"]["username"] == "u"
    kubectl(sb, "create", "secret", "generic", "plain", "-n", "shop", "--from-literal=a=b")
    assert sb.get("secret", "shop", "plain")["data"] == {"a": "Yg=="}
    failed = kubectl(sb, "create", "secret", "generic", "plain", "-n", "shop", "--from-literal=a=b", expect_rc=1)
    assert 'secrets "plain" already exists' in failed.stderr
    kubectl(sb, "create", "namespace", "team")
    kubectl(sb, "create", "serviceaccount", "robot", "-n", "team")
    assert sb.get("namespace", "", "team")["status"] == {"phase": "Active"}
    assert sb.get("serviceaccount", "team", "robot") is not None
    kubectl(sb, "create", "secret", "generic", "dry", "-n", "shop", "--from-literal=a=b", "--dry-run=server")
    assert sb.get("secret", "shop", "dry") is None


def test_kubectl_set_patch_annotate_label_and_rollout_restart(make_sandbox, kubectl):
    sb = make_sandbox(objects=[deployment(), build_pod("bare", "shop")])
    kubectl(sb, "set", "image", "deployment/api", "app=app:2", "-n", "shop")
    kubectl(sb, "set", "resources", "deployment/api", "-c", "app", "--requests=memory=64Mi", "--limits=memory=128Mi", "-n", "shop")
    kubectl(sb, "patch", "deployment/api", "-n", "shop", "-p", '{"spec":{"template":{"spec":{"imagePullSecrets":[{"name":"reg"}]}}}}')
    kubectl(sb, "patch", "deployment/api", "-n", "shop", "--type=merge", "-p", '{"spec":{"replicas":2}}')
    kubectl(sb, "patch", "deployment/api", "-n", "shop", "--type=json", "-p", '[{"op":"add","path":"/spec/paused","value":false}]')
    kubectl(sb, "annotate", "deployment/api", "-n", "shop", "team=web")
    kubectl(sb, "label", "deployment/api", "-n", "shop", "tier=front")
    kubectl(sb, "rollout", "restart", "deployment/api", "-n", "shop")
    got = sb.get("deployment", "shop", "api")
    template = got["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "app:2"
    assert template["spec"]["containers"][0]["resources"] == {"requests": {"memory": "64Mi"}, "limits": {"memory": "128Mi"}}
    assert template["spec"]["imagePullSecrets"] == [{"name": "reg"}] and got["spec"]["replicas"] == 2
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
    assert got["metadata"]["annotations"]["team"] == "web" and got["metadata"]["labels"]["tier"] == "front"
    assert got["metadata"]["generation"] == 8 and got["spec"]["paused"] is False
    kubectl(sb, "set", "image", "pod/bare", "app=app:3", "-n", "shop")
    refused = kubectl(sb, "set", "resources", "pod/bare", "-c", "app", "--limits=cpu=1", "-n", "shop", expect_rc=1)
    assert "pod updates may not change fields other than" in refused.stderr
    over = kubectl(sb, "set", "resources", "deployment/api", "-c", "app", "--requests=memory=1Gi", "-n", "shop", expect_rc=1)
    assert "must be less than or equal to memory limit of 128Mi" in over.stderr


def test_kubectl_apply_creates_then_configures_and_replace_conflicts(make_sandbox, kubectl, tmp_path):
    sb = make_sandbox(objects=[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}])
    manifest = tmp_path / "secret.yaml"
    manifest.write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: shop\nstringData:\n  k: one\n")
    assert kubectl(sb, "apply", "-f", str(manifest)).stdout.strip() == "secret/s created"
    manifest.write_text(manifest.read_text().replace("one", "two"))
    assert kubectl(sb, "apply", "-f", str(manifest)).stdout.strip() == "secret/s configured"
    secret = sb.get("secret", "shop", "s")
    assert secret["data"] == {"k": "dHdv"} and "kubectl.kubernetes.io/last-applied-configuration" in secret["metadata"]["annotations"]
    stale = dict(secret, data={"k": "b2xk"})
    sb.add(dict(secret, data={"k": "bmV3"}))  # someone else writes it
    manifest.write_text(json.dumps(stale))
    refused = kubectl(sb, "replace", "-f", str(manifest), expect_rc=1)
    assert "the object has been modified; please apply your changes to the latest version" in refused.stderr
