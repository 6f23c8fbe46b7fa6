"""The JSONPath evaluator against the cases of client-go's own tests.

Every case here is a fact taken from k8s.io/client-go/util/jsonpath/jsonpath_test.go and
parser_test.go (commit 32ce75a7 of kubernetes/client-go): the template, the input (as JSON; Go
structs in the originals are written as the maps kubectl would decode, so their JSON output has
sorted keys), and what kubectl prints or the error it gives. The code under test was written here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubectl_pullmedic.render.gofmt import go_json, go_sprint
from kubectl_pullmedic.render.jsonpath import JSONPathError, execute, parse

TYPES = {
    "bools": [True, False, True, False],
    "integers": [1, 2, 3, 4],
    "floats": [1.0, 2.2, 3.3, 4.0],
    "strings": ["one", "two", "three", "four"],
    "interfaces": [True, "one", 1, 1.1],
    "maps": [{"name": "one", "value": 1}, {"name": "two", "value": 2.02},
             {"name": "three", "value": 3.03}, {"name": "four", "value": 4.04}],
}

STORE = {
    "Name": "jsonpath",
    "Book": [
        {"Category": "reference", "Author": "Nigel Rees", "Title": "Sayings of the Centurey", "Price": 8.95},
        {"Category": "fiction", "Author": "Evelyn Waugh", "Title": "Sword of Honour", "Price": 12.99},
        {"Category": "fiction", "Author": "Herman Melville", "Title": "Moby Dick", "Price": 8.99},
    ],
    "Bicycle": [{"Color": "red", "Price": 19.95, "IsNew": True}, {"Color": "green", "Price": 20.01, "IsNew": False}],
    "Labels": {"engieer": 10, "web/html": 15, "k8s-app": 20},
    "Employees": {"jason": "manager", "dan": "clerk"},
}

POINTS = json.loads("""[
    {"id": "i1", "x":4, "y":-5}, {"id": "i2", "x":-2, "y":-5, "z":1}, {"id": "i3", "x":  8, "y":  3 },
    {"id": "i4", "x": -6, "y": -1 }, {"id": "i5", "x":  0, "y":  2, "z": 1 }, {"id": "i6", "x":  1, "y":  4 },
    {"id": "i7", "x":  null, "y":  4 }]""")

NODES = {
    "kind": "List",
    "items": [
        {"kind": "None", "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
         "status": {"capacity": {"cpu": "4"}, "ready": True,
                    "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]}},
        {"kind": "None", "metadata": {"name": "127.0.0.2", "labels": {"kubernetes.io/hostname": "127.0.0.2"}},
         "status": {"capacity": {"cpu": "8"}, "ready": False,
                    "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.2"},
                                  {"type": "another", "address": "127.0.0.3"}]}},
    ],
    "users": [{"name": "myself", "user": {}}, {"name": "e2e", "user": {"username": "admin", "password": "secret"}}],
}

NESTED = {"items": [
    {"metadata": {"name": "pod1"}, "spec": {"containers": [
        {"name": "foo", "another": [{"name": "value1"}, {"name": "value2"}]},
        {"name": "bar", "another": [{"name": "value1"}, {"name": "value2"}]}]}},
    {"metadata": {"name": "pod2"}, "spec": {"containers": [
        {"name": "baz", "another": [{"name": "value1"}, {"name": "value2"}]}]}},
]}

ANNOTATED = {"kind": "List", "items": [
    {"kind": "Pod", "metadata": {"name": "pod1", "annotations": {"color": "blue"}}},
    {"kind": "Pod", "metadata": {"name": "pod2"}},
    {"kind": "Pod", "metadata": {"name": "pod3", "annotations": {"color": "green"}}},
    {"kind": "Pod", "metadata": {"name": "pod4", "annotations": {"color": "blue"}}},
]}

CONTAINERS = {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [
    {"image": "radial/busyboxplus:curl", "name": f"fake{i}"} for i in range(6)]}}
FOUR_CONTAINERS = {"spec": {"containers": CONTAINERS["spec"]["containers"][:4]}}

RUNNING = {"kind": "List", "items": [
    {"kind": "Pod", "metadata": {"name": f"pod{i}"}, "status": {"phase": "Running"}} for i in (1, 2, 3)
] + [{"resourceVersion": ""}]}

# (template, input, expected output), kubectl's default: missing keys allowed
OUTPUTS = [
    # TestTypesInput
    ("{ .bools }", TYPES, "[true,false,true,false]"),
    ("{ .bools[0] }", TYPES, "true"),
    ("{ .bools[-1] }", TYPES, "false"),
    ("{ .bools[0:2] }", TYPES, "true false"),
    ("{ .bools[:2] }", TYPES, "true false"),
    ("{ .bools[:4:2] }", TYPES, "true true"),
    ("{ .integers }", TYPES, "[1,2,3,4]"),
    ("{ .integers[-2] }", TYPES, "3"),
    ("{ .integers[:4:2] }", TYPES, "1 3"),
    ("{ .floats }", TYPES, "[1,2.2,3.3,4]"),
    ("{ .floats[0] }", TYPES, "1"),
    ("{ .floats[-2] }", TYPES, "3.3"),
    ("{ .floats[:4:2] }", TYPES, "1 3.3"),
    ("{ .strings }", TYPES, '["one","two","three","four"]'),
    ("{ .strings[-2] }", TYPES, "three"),
    ("{ .strings[:4:2] }", TYPES, "one three"),
    ("{ .interfaces }", TYPES, '[true,"one",1,1.1]'),
    ("{ .interfaces[0:2] }", TYPES, "true one"),
    ("{ .interfaces[:4:2] }", TYPES, "true 1"),
    ("{ .maps }", TYPES, '[{"name":"one","value":1},{"name":"two","value":2.02},'
                         '{"name":"three","value":3.03},{"name":"four","value":4.04}]'),
    ("{ .maps[-2] }", TYPES, '{"name":"three","value":3.03}'),
    ("{ .maps[::2] }", TYPES, '{"name":"one","value":1} {"name":"three","value":3.03}'),
    ("{ .maps[1::2] }", TYPES, '{"name":"two","value":2.02} {"name":"four","value":4.04}'),
    # TestStructInput
    ("hello jsonpath", None, "hello jsonpath"),
    ("{..}", [1, 2, 3], "[1,2,3]"),
    ("{[?(@<5)]}", [2, 6, 3, 7], "2 3"),
    ('{"{"}', None, "{"),
    ("{[1,3,4]}", [0, 1, 2, 3, 4], "1 3 4"),
    ("{[0:2]}", ["Monday", "Tudesday"], "Monday Tudesday"),
    ("hello {.Name}", STORE, "hello jsonpath"),
    ("{$.Labels.web/html}", STORE, "15"),
    ("{$.Employees.jason}", STORE, "manager"),
    ("{.Labels.k8s-app}", STORE, "20"),
    ("{.Bicycle[*].Color}", STORE, "red green"),
    ("{.Book[*].Author}", STORE, "Nigel Rees Evelyn Waugh Herman Melville"),
    ('{range .Bicycle[*]}{ "{" }{ @.* }{ "} " }{end}', STORE, "{red 19.95 true} {green 20.01 false} "),
    ("{..Price}", STORE, "8.95 12.99 8.99 19.95 20.01"),
    ("{...Price}", STORE, "8.95 12.99 8.99 19.95 20.01"),
    ('{range .Bicycle[*]}{ @ }{ " " }{end}', STORE,
     '{"Color":"red","IsNew":true,"Price":19.95} {"Color":"green","IsNew":false,"Price":20.01} '),
    ("{.Book[-1:]}", STORE, '{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}'),
    ("{..Book[2]}", STORE, '{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}'),
    ("{.Bicycle[?(@.IsNew==true)]}", STORE, '{"Color":"red","IsNew":true,"Price":19.95}'),
    ("{.hello}", STORE, ""),
    ("before-{.hello}after", STORE, "before-after"),
    # TestJSONInput
    ("{[?(@.z)].id}", POINTS, "i2 i5"),
    ("{[0]['id']}", POINTS, "i1"),
    ("{[-1]['x']}", POINTS, "null"),
    # TestKubernetes
    ("{range .items[*]}{.metadata.name}, {end}{.kind}", NODES, "127.0.0.1, 127.0.0.2, List"),
    ('{range .items[*]}{.metadata.name}{"\\t"}{end}', NODES, "127.0.0.1\t127.0.0.2\t"),
    ("{.items[*].status.addresses[*].address}", NODES, "127.0.0.1 127.0.0.2 127.0.0.3"),
    ("{range .items[*]}{range .status.addresses[*]}{.address}, {end}{end}", NODES, "127.0.0.1, 127.0.0.2, 127.0.0.3, "),
    ("{.items[*].metadata.name}", NODES, "127.0.0.1 127.0.0.2"),
    ("{.items[*]['metadata.name', 'status.capacity']}", NODES, '127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}'),
    ("{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}", NODES, '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] '),
    ('{.users[?(@.name=="e2e")].user.password}', NODES, "secret"),
    ("{.items[0].metadata.labels.kubernetes\\.io/hostname}", NODES, "127.0.0.1"),
    ('{.items[?(@.metadata.labels.kubernetes\\.io/hostname=="127.0.0.1")].kind}', NODES, "None"),
    ("{.items[?(@..ready==true)].metadata.name}", NODES, "127.0.0.1"),
    ("{..name}", NODES, "127.0.0.1 127.0.0.2 myself e2e"),  # client-go sorts this one: map order is random in Go
    # TestEmptyRange
    ("{range .items[*]}{.metadata.name}{end}", {"items": []}, ""),
    ('{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}', {"items": []}, ""),
    # TestNestedRanges
    ('{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}', NESTED,
     "pod1:foo,bar,+pod2:baz,+"),
    ('{range .items[*]}{.metadata.name}{"~"}{range @.spec.containers[*]}{.name}{":"}{range @.another[*]}'
     '{.name}{","}{end}{"+"}{end}{"#"}{end}', NESTED, "pod1~foo:value1,value2,+bar:value1,value2,+#pod2~baz:value1,value2,+#"),
    ('{range .items[*]}{.metadata.name}{"\\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\\t"}'
     '{range @.spec.containers[*]}{.name}{" "}{end}{"\\n"}{end}', NESTED, "pod1\tfoo bar \tfoo bar \npod2\tbaz \tbaz \n"),
    # TestFilterPartialMatchesSometimesMissingAnnotations
    ('{.items[?(@.metadata.annotations.color=="blue")].metadata.name}', ANNOTATED, "pod1 pod4"),
    # TestNegativeIndex
    ("{.spec.containers[0].name}", FOUR_CONTAINERS, "fake0"),
    ("{.spec.containers[0:0].name}", FOUR_CONTAINERS, ""),
    ("{.spec.containers[0:-1].name}", FOUR_CONTAINERS, "fake0 fake1 fake2"),
    ("{.spec.containers[-1].name}", FOUR_CONTAINERS, "fake3"),
    ("{.spec.containers[-1:].name}", FOUR_CONTAINERS, "fake3"),
    ("{.spec.containers[-2].name}", FOUR_CONTAINERS, "fake2"),
    ("{.spec.containers[-2:].name}", FOUR_CONTAINERS, "fake2 fake3"),
    ("{.spec.containers[-3].name}", FOUR_CONTAINERS, "fake1"),
    ("{.spec.containers[-4].name}", FOUR_CONTAINERS, "fake0"),
    ("{.spec.containers[-4:].name}", FOUR_CONTAINERS, "fake0 fake1 fake2 fake3"),
    ("{.spec.containers[5:5].name}", FOUR_CONTAINERS, ""),
    ("{.spec.containers[-5:-5].name}", FOUR_CONTAINERS, ""),
    # TestRunningPodsJSONPathOutput
    ('{range .items[?(.status.phase=="Running")]}{.metadata.name}{" is Running\\n"}{end}', RUNNING,
     "pod1 is Running\npod2 is Running\npod3 is Running\n"),
    # TestStep
    ("{.spec.containers[0:].name}", CONTAINERS, "fake0 fake1 fake2 fake3 fake4 fake5"),
    ("{.spec.containers[0:6:].name}", CONTAINERS, "fake0 fake1 fake2 fake3 fake4 fake5"),
    ("{.spec.containers[0:6:1].name}", CONTAINERS, "fake0 fake1 fake2 fake3 fake4 fake5"),
    ("{.spec.containers[1:4:2].name}", CONTAINERS, "fake1 fake3"),
    ("{.spec.containers[1:4:3].name}", CONTAINERS, "fake1"),
    ("{.spec.containers[1:4:4].name}", CONTAINERS, "fake1"),
    ("{.spec.containers[0:6:2].name}", CONTAINERS, "fake0 fake2 fake4"),
    ("{.spec.containers[0:6:3].name}", CONTAINERS, "fake0 fake3"),
    ("{.spec.containers[0:6:5].name}", CONTAINERS, "fake0 fake5"),
    ("{.spec.containers[0:6:6].name}", CONTAINERS, "fake0"),
]


@pytest.mark.parametrize("template,data,expected", OUTPUTS)
def test_output_as_client_go(template: str, data: Any, expected: str) -> None:
    assert execute(template, data) == expected


# Cases client-go runs with missing keys refused (its testJSONPath(..., false, ...)): same output.
@pytest.mark.parametrize("template,data,expected", [case for case in OUTPUTS if case[1] not in (STORE, RUNNING, ANNOTATED)
                                                    and "{.hello}" not in case[0] and case[1] != {"items": []}])
def test_output_with_missing_keys_refused(template: str, data: Any, expected: str) -> None:
    assert execute(template, data, allow_missing=False) == expected


@pytest.mark.parametrize("template,data,message", [
    # TestStructInput's failures (a Go map[string]int reads as kubectl's map[string]interface {})
    ("{hello}", STORE, "unrecognized identifier hello"),
    ("{.hello}", STORE, "hello is not found"),
    ("{.Labels[0]}", STORE, "map[string]interface {} is not array or slice"),
    ("{.Book[?(@.Price<>10)]}", STORE, "unrecognized filter operator <>"),
    ("{range .Labels.*}{@}{end}{end}", STORE, "not in range, nothing to end"),
    # TestFilterPartialMatchesSometimesMissingAnnotations, missing keys refused
    ('{.items[?(@.metadata.annotations.color=="blue")].metadata.name}', ANNOTATED, "annotations is not found"),
    # TestNegativeIndex and TestStep errors
    ("{.spec.containers[-1:0].name}", FOUR_CONTAINERS, "starting index 3 is greater than ending index 0"),
    ("{.spec.containers[-5].name}", FOUR_CONTAINERS, "array index out of bounds: index -1, length 4"),
    ("{.spec.containers[3:1].name}", FOUR_CONTAINERS, "starting index 3 is greater than ending index 1"),
    ("{.spec.containers[-1:-2].name}", FOUR_CONTAINERS, "starting index 3 is greater than ending index 2"),
    ("{.spec.containers[0:6:0].name}", CONTAINERS, "step must be > 0"),
    ("{.spec.containers[0:6:-1].name}", CONTAINERS, "step must be > 0"),
])
def test_execution_errors(template: str, data: Any, message: str) -> None:
    with pytest.raises(JSONPathError) as error:
        execute(template, data, allow_missing=False)
    assert str(error.value) == message


@pytest.mark.parametrize("template,message", [
    # TestFailParser
    ("{.hello", "unclosed action"),
    ("{*}", "unrecognized character in action: U+002A '*'"),
    ("{+12.3.0}", "cannot parse number +12.3.0"),
    ("{[1}", "unterminated array"),
    ("{[?(.price]}", "unterminated filter"),
    ("{........}", "invalid multiple recursive descent"),
    ("{............................................................Price}", "invalid multiple recursive descent"),
    ("{\\\\\\}", "unrecognized character in action: U+005C '\\'"),  # parser_test's "malformat input"
    # what kubectl 1.32 prints for these (checked with the real binary)
    ("{.items[", "unterminated array"),
    ("{.items[*].metadata.name", "unclosed action"),
    ('{.items[?(@.x=="a")', "unclosed array expect ]"),
])
def test_parse_errors(template: str, message: str) -> None:
    with pytest.raises(JSONPathError) as error:
        parse(template)
    assert str(error.value) == message


@pytest.mark.parametrize("template,text", [
    # parser_test.go: quoted strings inside filters, with parentheses, quotes and escapes
    ('{[?(@.status.nodeInfo.osImage == "()")]}', "()"),
    ('{[?(@.status.nodeInfo.osImage == "(\\"\\")")]}', '("")'),
    ('{[?(@.test == "())(")]}', "())("),
    ("{[?(@.status.nodeInfo.osImage == 'Linux')]}", "Linux"),
    ('{[?(@.status.nodeInfo.osImage == "{[()]}")]}', "{[()]}"),
    ("{[?(@.status.nodeInfo.osImage == \"''\")]}", "''"),
    ("{[?(@.status.nodeInfo.osImage == '\"\"')]}", '""'),
    ("{[?(@.status.nodeInfo.osImage == '\\\\\\'')]}", "\\'"),
])
def test_filter_right_side_strings(template: str, text: str) -> None:
    (_, action), = parse(template)
    (kind, _left, right, operator), = action
    assert (kind, operator, right) == ("filter", "==", [("text", text)])


def test_parser_nodes() -> None:
    """parser_test.go's node lists, in this module's tuple form."""
    assert parse("hello {.jsonpath}") == [("text", "hello "), ("list", [("field", "jsonpath")])]
    assert parse("hello {['jsonpath']}") == [("text", "hello "), ("list", [("field", "jsonpath")])]
    assert parse("{[1:3]}") == [("list", [("array", [[1, True, False], [3, True, False], [0, False, False]])])]
    assert parse("{.bicycle.*}") == [("list", [("field", "bicycle"), ("wildcard",)])]
    assert parse("{[?(@.price<3)]}") == [("list", [("filter", [("field", "price")], [("int", 3)], "<")])]
    assert parse("{..price}") == [("list", [("recursive",), ("field", "price")])]
    assert parse("{['book.price']}") == [("list", [("field", "book"), ("field", "price")])]
    assert parse("{['bicycle.price', 3, 'book.price']}") == [("list", [("union", [
        [("field", "bicycle"), ("field", "price")],
        [("array", [[3, True, False], [4, True, True], [0, False, False]])],
        [("field", "book"), ("field", "price")]])])]
    assert parse("{range .items}{.name},{end}") == [
        ("list", [("identifier", "range"), ("field", "items")]), ("list", [("field", "name")]), ("text", ","),
        ("list", [("identifier", "end")])]
    assert parse("{[-5:]}")[0][1][0][1] == [[-5, True, False], [0, False, False], [0, False, False]]
    assert parse("{[-1]}")[0][1][0][1] == [[-1, True, False], [0, True, True], [0, False, False]]
    assert parse("{[1:-1]}")[0][1][0][1] == [[1, True, False], [-1, True, False], [0, False, False]]


def test_text_outside_actions_is_verbatim_and_quoted_strings_take_go_escapes() -> None:
    # kubectl 1.32: `-o jsonpath='{.kind}\n'` prints a backslash and an n; `{"\n"}` a newline
    assert execute("{.kind}\\n", {"kind": "List"}) == "List\\n"
    assert execute('{.kind}{"\\n\\t\\u00e9\\x41\\101"}', {"kind": "List"}) == "List\n\téAA"
    with pytest.raises(JSONPathError, match=r"unquote string \"\\q\" error invalid syntax"):
        parse('{"\\q"}')


def test_jsonpath_as_json_prints_each_action_as_an_indented_array() -> None:
    # kubectl 1.32, `-o jsonpath-as-json='{.items[0:2].metadata.name}{.kind}'` on a pod list
    data = {"kind": "List", "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]}
    assert execute("{.items[0:2].metadata.name}{.kind}", data, as_json=True) == \
        '[\n    "a",\n    "b"\n]\n[\n    "List"\n]\n'
    assert execute("{.nothing}", data, as_json=True) == "[]\n"


def test_comparisons_follow_go_templates() -> None:
    data = {"items": [{"n": 1, "f": 1.5, "s": "b", "b": True, "z": None}]}
    assert execute("{.items[?(@.n>=1)].s}", data) == "b"
    assert execute('{.items[?(@.s<"c")].s}', data) == "b"
    assert execute("{.items[?(@.f>1.2)].s}", data) == "b"
    assert execute("{.items[?(@.n==@.n)].s}", data) == "b"
    for template, message in (("{.items[?(@.n==1.0)]}", "incompatible types for comparison"),
                              ("{.items[?(@.b<true)]}", "invalid type for comparison"),
                              ("{.items[?(@.z==1)]}", "invalid type for comparison")):
        with pytest.raises(JSONPathError, match=message):
            execute(template, data)


def test_go_formatting() -> None:
    assert go_sprint({"b": 1, "a": [None, 1e6, "x"]}) == "map[a:[<nil> 1e+06 x] b:1]"
    assert go_json({"z": 1e-7, "a": "x&y", "m": 1e20}) == '{"a":"x\\u0026y","m":100000000000000000000,"z":1e-7}'
    assert execute("{.a} {.b} {.c} {.d}", {"a": None, "b": 2.0, "c": False, "d": 12345678.0}) == "null 2 false 1.2345678e+07"
