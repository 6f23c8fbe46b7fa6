"""kubectl's other printers on every listing command: -o name, jsonpath, jsonpath-as-json, custom-columns.

In-process tests run the real entry point against the scenario cluster; the ``kubectl`` ones (slow)
run the real kubectl binary on the sandbox's pod list and check that this evaluator prints the same
for the same template and the same JSON.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import List

import pytest

from kubectl_pullmedic.render.jsonpath import execute

WHY = ("why", "-n", "shop")


def test_name_lists_each_diagnosed_pod_once_in_row_order(pullmedic, scenario_sandbox):
    names = pullmedic(*WHY, "-o", "name", sandbox=scenario_sandbox, expect=1).stdout.splitlines()
    items = pullmedic(*WHY, "-o", "json", sandbox=scenario_sandbox, expect=1).json()["items"]
    assert sorted(names) == sorted({f"pod/{item['pod']}" for item in items})
    assert len(names) == len(set(names))
    table = pullmedic(*WHY, "--no-headers", sandbox=scenario_sandbox, expect=1).stdout.split("\n\n")[0]
    first_rows = [line.split()[0] for line in table.splitlines()]
    assert [name for name in names if name[4:] in first_rows] == [f"pod/{row}" for row in first_rows if f"pod/{row}" in names]


def test_name_of_a_target_leaves_its_healthy_pods_out(pullmedic, scenario_sandbox):
    result = pullmedic("why", "deploy/storefront", "-n", "shop", "-o", "name", sandbox=scenario_sandbox, expect=1)
    assert result.stdout == "pod/storefront-wh2ghkdwhg-w5d66\n"


def test_evicted_and_secrets_check_names(pullmedic, scenario_sandbox):
    evicted = pullmedic("evicted", "-A", "-o", "name", sandbox=scenario_sandbox).stdout.splitlines()
    items = pullmedic("evicted", "-A", "-o", "json", sandbox=scenario_sandbox).json()["items"]
    assert evicted == list(dict.fromkeys(f"pod/{item['name']}" for item in items))
    workloads = pullmedic("secrets-check", "-A", "-o", "name", sandbox=scenario_sandbox, expect=1).stdout.splitlines()
    findings = pullmedic("secrets-check", "-A", "-o", "json", sandbox=scenario_sandbox, expect=1).json()["items"]
    assert len(workloads) == len(set(workloads)) and workloads
    assert all(re.fullmatch(r"(pod|(deployment|statefulset|daemonset|replicaset)\.apps|(job|cronjob)\.batch)/[-a-z0-9.]+", w)
               for w in workloads), workloads
    assert {w.split("/")[1] for w in workloads} == {f["workload"].split("/")[1] for f in findings}


@pytest.mark.parametrize("command", [WHY, ("evicted", "-A"), ("secrets-check", "-A")])
@pytest.mark.parametrize("template", [
    "{.items[*].namespace}", "{range .items[*]}{.namespace}{\"\\t\"}{.kind}{\"\\n\"}{end}", "{$.kind} {.apiVersion}",
    "{..namespace}", "{.items[0]}", "{.items[-1:].namespace}", "{.items[?(@.namespace==\"shop\")].namespace}",
])
def test_jsonpath_is_evaluated_over_the_json_document(pullmedic, scenario_sandbox, command, template):
    now = datetime.now(timezone.utc)  # one clock for the three runs: back-off seconds would tick between them
    document = pullmedic(*command, "-o", "json", sandbox=scenario_sandbox, expect=None, now=now).json()
    result = pullmedic(*command, "-o", f"jsonpath={template}", sandbox=scenario_sandbox, expect=None, now=now)
    assert result.stdout == execute(template, document)
    as_json = pullmedic(*command, f"--output=jsonpath-as-json={template}", sandbox=scenario_sandbox, expect=None,
                        now=now)
    assert as_json.stdout == execute(template, document, as_json=True)


def test_jsonpath_examples_on_why(pullmedic, scenario_sandbox):
    def run(template: str) -> str:
        return pullmedic(*WHY, "-o", f"jsonpath={template}", sandbox=scenario_sandbox, expect=1).stdout

    assert run('{.items[?(@.cause=="ImageNotFound")].pod}') == \
        "recommender-hzxwblmwfp-zl7jz storefront-wh2ghkdwhg-w5d66"
    assert run("{.items[0].evidence.reference.fullyQualified}") == "registry.example.com:5000/shop/catalog:2.0.1"
    assert run("{$.kind}") == "DiagnosisList"
    lines = run('{range .items[*]}{.namespace}/{.pod}{"\\n"}{end}').splitlines()
    assert lines[0] == "shop/catalog-nwhjs9zf82-nrlhq" and all(line.startswith("shop/") for line in lines)
    # recursive descent finds every "pod" key, depth first: each item's own, then any in its evidence
    # (an ending's refusal has a "pod" of its own, null here)
    found = [name for name in run("{..pod}").split() if name != "null"]
    assert found == [line.split("/")[1] for line in lines]


def test_custom_columns(pullmedic, scenario_sandbox):
    spec = "POD:.pod,cause:cause,Tag:{.evidence.reference.tag},NODES:{.node},NOPE:.nope"
    result = pullmedic(*WHY, "-o", f"custom-columns={spec}", sandbox=scenario_sandbox, expect=1)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["POD", "cause", "Tag", "NODES", "NOPE"]  # headers as written, as kubectl prints them
    assert lines[1].split() == ["catalog-nwhjs9zf82-nrlhq", "RegistryAuthRequired", "2.0.1", "node-d", "<none>"]
    assert re.fullmatch(r"POD {3,}cause {3,}Tag {3,}NODES {3,}NOPE", lines[0])
    headless = pullmedic(*WHY, "--no-headers", "-o", f"custom-columns={spec}", sandbox=scenario_sandbox, expect=1)
    assert headless.stdout.splitlines() == lines[1:]
    nothing = pullmedic("why", "-n", "default", "-l", "app=none", "-o", "custom-columns=POD:.pod", sandbox=scenario_sandbox)
    assert (nothing.stdout, nothing.stderr) == ("POD\n", "")  # kubectl prints the header, and no "No resources found"


def test_template_files(pullmedic, scenario_sandbox, tmp_path):
    (tmp_path / "t.jsonpath").write_text('{range .items[*]}{.pod}{"\\n"}{end}')
    (tmp_path / "t.columns").write_text("POD        CAUSE\n.pod   {.cause}\n")
    pods = pullmedic(*WHY, "-o", f"jsonpath-file={tmp_path / 't.jsonpath'}", sandbox=scenario_sandbox, expect=1)
    assert pods.stdout.splitlines()[0] == "catalog-nwhjs9zf82-nrlhq"
    columns = pullmedic(*WHY, "-o", f"custom-columns-file={tmp_path / 't.columns'}", sandbox=scenario_sandbox, expect=1)
    assert columns.stdout.splitlines()[1].split() == ["catalog-nwhjs9zf82-nrlhq", "RegistryAuthRequired"]


@pytest.mark.parametrize("output,stderr", [
    ("jsonpath", "error: template format specified but no template given\n"),
    ("jsonpath=", "error: template format specified but no template given\n"),
    ("jsonpath={.items[", "error: error parsing jsonpath {.items[, unterminated array\n"),
    ("jsonpath={.items", "error: error parsing jsonpath {.items, unclosed action\n"),
    ("jsonpath-as-json={(}", "error: error parsing jsonpath {(}, unrecognized character in action: U+0028 '('\n"),
    ("custom-columns", "error: custom-columns format specified but no custom columns given\n"),
    ("custom-columns=POD", "error: unexpected custom-columns spec: POD, expected <header>:<json-path-expr>\n"),
    ("custom-columns=POD:{a}{b}", "error: unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
                                  "'{name1.name2}' or '{.name1.name2}'\n"),
    ("custom-columns=POD:.items[", "error: unterminated array\n"),
    ("jsonpath-file=/nonexistent/t", "error: error reading --template /nonexistent/t, open /nonexistent/t: "
                                     "no such file or directory\n"),
    ("custom-columns-file=/nonexistent/t", "error: error reading template /nonexistent/t, open /nonexistent/t: "
                                           "no such file or directory\n"),
    ("bogus", "error: unable to match a printer suitable for the output format \"bogus\", allowed formats are: "
              "custom-columns,custom-columns-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,wide,yaml\n"
              "See 'kubectl pullmedic why --help' for usage.\n"),
])
def test_bad_formats_and_templates_are_refused_before_any_request(pullmedic, scenario_sandbox, output, stderr):
    scenario_sandbox.clear_requests()
    result = pullmedic(*WHY, "-o", output, sandbox=scenario_sandbox, expect=2)
    assert (result.stdout, result.stderr) == ("", stderr)
    assert scenario_sandbox.requests == []


def test_a_template_failing_on_the_data_is_an_error(pullmedic, scenario_sandbox):
    result = pullmedic(*WHY, "-o", "jsonpath={.items[99].pod}", sandbox=scenario_sandbox, expect=2)
    assert result.stdout == ""
    assert re.fullmatch(r'error: error executing jsonpath "\{\.items\[99\]\.pod\}": Error executing template: '
                        r"array index out of bounds: index 99, length \d+\n", result.stderr)
    columns = pullmedic(*WHY, "-o", "custom-columns=X:.evidence.event.count[0]", sandbox=scenario_sandbox, expect=2)
    assert columns.stderr == "error: int64 is not array or slice\n"


def test_clean_keeps_its_formats(pullmedic, scenario_sandbox):
    result = pullmedic("clean", "-A", "--dry-run=client", "-o", "jsonpath={.kind}", sandbox=scenario_sandbox, expect=2)
    assert result.stderr.startswith('error: unable to match a printer suitable for the output format "jsonpath={.kind}", '
                                    "allowed formats are: json,name\n")


# -- the same template on the same JSON: the real kubectl and this evaluator ---------------------

KUBECTL_TEMPLATES = [
    "{.items[*].metadata.name}",
    '{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}',
    "{$.kind} {.apiVersion} literal text, a \\n and a } stay as written",
    "{.items[0].spec.containers[0].image}",
    "{.items[-1:].metadata.name} {.items[0:6:2].metadata.name} {.items[-3].metadata.uid}",
    '{.items[?(@.status.phase=="Failed")].metadata.name}',
    '{.items[?(@.status.reason!="Evicted")].metadata.name}',
    "{.items[?(@.spec.priority>=0)].metadata.name}",
    "{.items[?(@.metadata.ownerReferences)].metadata.name}",
    "{.items[?(@.status.containerStatuses[0].state.waiting.reason)].metadata.name}",
    "{.items[0]['metadata.name', 'spec.nodeName']}",
    "{.items[*].spec.containers[*]['name','image']}",
    "{.items[0].metadata.labels} {.items[1].spec.containers} {.items[2].status}",
    "{.items[*].status.containerStatuses[*].state.waiting.message}",
    "{.items[*].status.conditions[0].lastProbeTime}",
    "{.items[*].metadata.labels.pod-template-hash}",
    '{range .items[*]}{.metadata.name}{":"}{range .spec.containers[*]}{.image}{","}{end}{"\\n"}{end}',
    "{.items[*].nonexistent.field}",
    "{.items[0].spec.*}",
]


@pytest.fixture(scope="module")
def pod_list(scenario_sandbox) -> str:
    import subprocess

    from conftest import KUBECTL

    return subprocess.run([KUBECTL, "--kubeconfig", scenario_sandbox.kubeconfig_path, "get", "pods", "-A", "-o", "json"],
                          capture_output=True, text=True, check=True, timeout=60).stdout


def _sorted_words(text: str) -> List[str]:
    return sorted(text.split())


@pytest.mark.parametrize("template", KUBECTL_TEMPLATES)
def test_same_output_as_kubectl(kubectl, scenario_sandbox, pod_list, template):
    expected = kubectl(scenario_sandbox, "get", "pods", "-A", "-o", f"jsonpath={template}").stdout
    mine = execute(template, json.loads(pod_list))
    if template.endswith(".*}"):  # a map's values: kubectl walks Go maps in random order
        assert _sorted_words(mine) == _sorted_words(expected)
    else:
        assert mine == expected
    as_json = kubectl(scenario_sandbox, "get", "pods", "-A", "-o", f"jsonpath-as-json={template}").stdout
    if not template.endswith(".*}"):
        assert execute(template, json.loads(pod_list), as_json=True) == as_json


def test_recursive_descent_finds_what_kubectl_finds(kubectl, scenario_sandbox, pod_list):
    for template in ("{..image}", "{..name}", "{.items[0]..type}"):  # Go map order is random: compare as sets
        expected = kubectl(scenario_sandbox, "get", "pods", "-A", "-o", f"jsonpath={template}").stdout
        assert _sorted_words(execute(template, json.loads(pod_list))) == _sorted_words(expected)


def test_same_custom_columns_as_kubectl(kubectl, scenario_sandbox, pod_list):
    from kubectl_pullmedic.render.templates import columns, custom_columns

    # columns wider than kubectl's minimum cell (6): the project's table does not pad to it
    spec = ("NAMESPACE:.metadata.namespace,NAME:metadata.name,NODE:{.spec.nodeName},IMAGES:.spec.containers[*].image,"
            "LABELS:{.metadata.labels},PRIORITY:.spec.priority,WAITING:.status.containerStatuses[*].state.waiting.reason,"
            "NOPE:.no.such")
    expected = kubectl(scenario_sandbox, "get", "pods", "-A", "-o", f"custom-columns={spec}").stdout
    assert custom_columns(json.loads(pod_list), columns("custom-columns", spec), no_headers=False) == expected
    headless = kubectl(scenario_sandbox, "get", "pods", "-A", "--no-headers", "-o", f"custom-columns={spec}").stdout
    assert custom_columns(json.loads(pod_list), columns("custom-columns", spec), no_headers=True) == headless


@pytest.mark.parametrize("output", ["jsonpath={.items[", "jsonpath={.items[*].metadata.name", 'jsonpath={.items[?(@.x=="a")',
                                    "jsonpath={(}", "jsonpath={+12.3.0}", "jsonpath", "custom-columns=A",
                                    "custom-columns=A:{a}{b}", "custom-columns", "bogus"])
def test_same_errors_as_kubectl(kubectl, pullmedic, scenario_sandbox, output):
    theirs = kubectl(scenario_sandbox, "get", "pods", "-n", "shop", "-o", output, expect_rc=1).stderr
    mine = pullmedic(*WHY, "-o", output, sandbox=scenario_sandbox, expect=2).stderr
    if output == "bogus":  # the same sentence; kubectl has more printers, and a usage error here adds the help line
        assert theirs.startswith('error: unable to match a printer suitable for the output format "bogus"')
        assert mine.startswith('error: unable to match a printer suitable for the output format "bogus"')
    else:
        assert mine == theirs
