"""Pull-secret parsing, the kubelet's keyring matching rules, and token expiry."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from kubectl_pullmedic.core.credentials.dockerconfig import (
    DockerConfig,
    RegistryCredential,
    credential_expiry,
    expired_at,
    parse_pull_secret,
)
from kubectl_pullmedic.core.credentials.keyring import keyring_key, match_credentials, urls_match
from kubectl_pullmedic.core.serialize import as_document

PASSWORD = "Pa55-w0rd-NEVER-SHOWN"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def pull_secret(document: object, secret_type: str = "kubernetes.io/dockerconfigjson", raw: str = "") -> dict:
    key = ".dockerconfigjson" if secret_type == "kubernetes.io/dockerconfigjson" else ".dockercfg"
    return {
        "metadata": {"name": "regcred", "namespace": "shop"},
        "type": secret_type,
        "data": {key: raw or b64(json.dumps(document))},
    }


def config_for(*keys: str) -> DockerConfig:
    return DockerConfig("regcred", tuple(RegistryCredential(key, "bot", PASSWORD, "regcred") for key in keys))


# --- parsing -----------------------------------------------------------------------------------


def test_auth_field_is_split_into_user_and_password_at_the_first_colon():
    config = parse_pull_secret(pull_secret({"auths": {"reg.example.com": {"auth": b64("bot:pa:ss")}}}))
    assert config.problems == ()
    (credential,) = config.credentials
    assert (credential.key, credential.username, credential.password, credential.secret) == (
        "reg.example.com",
        "bot",
        "pa:ss",
        "regcred",
    )


def test_username_and_password_fields_are_read_when_there_is_no_auth():
    config = parse_pull_secret(pull_secret({"auths": {"r.io": {"username": "u", "password": "p"}}}))
    assert [(c.username, c.password) for c in config.credentials] == [("u", "p")]


def test_auth_wins_over_username_and_password_as_in_the_kubelet():
    entry = {"auth": b64("from-auth:x"), "username": "from-fields", "password": "y"}
    config = parse_pull_secret(pull_secret({"auths": {"r.io": entry}}))
    assert config.credentials[0].username == "from-auth"


def test_legacy_dockercfg_is_the_map_itself():
    config = parse_pull_secret(pull_secret({"r.io": {"auth": b64("u:p")}}, "kubernetes.io/dockercfg"))
    assert config.problems == () and config.credentials[0].key == "r.io"


@pytest.mark.parametrize(
    "secret, problem",
    [
        (pull_secret(None, raw="not base64!"), ".dockerconfigjson is not valid base64"),
        (pull_secret(None, raw=b64("{not json")), ".dockerconfigjson is not valid JSON"),
        (pull_secret(["a list"]), ".dockerconfigjson is not a JSON object"),
        (pull_secret({"r.io": {"auth": b64("u:p")}}), '.dockerconfigjson has no "auths" object'),
        (pull_secret({"auths": ["r.io"]}), '"auths" in .dockerconfigjson is not an object'),
        (pull_secret({"auths": {}}), "has no registry entries"),
        (
            pull_secret({"auths": {"r.io": {"email": "a@b.c"}}}),
            "entry 'r.io' has neither auth nor username and password",
        ),
        (
            pull_secret({"auths": {"r.io": {"auth": b64("no-colon")}}}),
            "entry 'r.io': auth is not base64 of user:password",
        ),
        (pull_secret({"auths": {"r.io": {"auth": "%%%"}}}), "entry 'r.io': auth is not valid base64"),
        (pull_secret({"auths": {"r.io": "u:p"}}), "entry 'r.io' is not an object"),
        (
            pull_secret({"auths": {"r.io": {"auth": b64("u:p")}}}, "kubernetes.io/dockercfg"),
            'has an "auths" key: a .dockerconfigjson document in a dockercfg secret',
        ),
        (
            {"metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson", "data": {}},
            "has no .dockerconfigjson key",
        ),
        (
            {"metadata": {"name": "s"}, "type": "Opaque", "data": {}},
            "type is 'Opaque', not a pull-secret type",
        ),
    ],
    ids=[
        "data-base64",
        "json",
        "not-object",
        "no-auths",
        "auths-list",
        "empty-auths",
        "no-credentials",
        "auth-no-colon",
        "auth-base64",
        "entry-string",
        "dockercfg-with-auths",
        "no-data-key",
        "wrong-type",
    ],
)
def test_malformed_secrets_are_reported_as_data(secret, problem):
    config = parse_pull_secret(secret)
    assert any(p.startswith(problem) for p in config.problems), config.problems


def test_one_bad_entry_keeps_the_good_ones_and_reports_the_bad():
    config = parse_pull_secret(pull_secret({"auths": {"a.io": {"auth": b64("u:p")}, "b.io": {}}}))
    assert [c.key for c in config.credentials] == ["a.io"]
    assert config.problems == ("entry 'b.io' has neither auth nor username and password",)


# --- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image, key, matches",
    [
        # Docker Hub and its aliases
        ("nginx", "docker.io", True),
        ("nginx:1.25", "index.docker.io", True),
        ("nginx", "https://index.docker.io/v1/", True),
        ("bitnami/redis:7", "https://index.docker.io/v1/", True),
        ("docker.io/bitnami/redis", "index.docker.io", True),
        ("index.docker.io/bitnami/redis", "docker.io", True),
        ("bitnami/redis", "registry-1.docker.io", False),
        ("bitnami/redis", "https://index.docker.io/v1/bitnami", False),
        ("docker.io/bitnami/redis", "docker.io/bitnami", True),
        ("quay.io/bitnami/redis", "https://index.docker.io/v1/", False),
        # globs: one label per *
        ("eu.example.com/app", "*.example.com", True),
        ("a.b.example.com/app", "*.example.com", False),
        ("example.com/app", "*.example.com", False),
        ("reg.prod.example.com/app", "reg.*.example.com", True),
        ("reg.example.com/app", "r?g.example.com", True),
        # ports must be equal, none is not 443
        ("reg.example.com:5000/app", "reg.example.com", False),
        ("reg.example.com/app", "reg.example.com:443", False),
        ("reg.example.com:5000/app", "reg.example.com:5000", True),
        ("reg.example.com:5000/app", "https://reg.example.com:5000/v2/", True),
        ("localhost:5000/app", "localhost:5000", True),
        # schemes are optional, the path is a plain string prefix
        ("reg.example.com/app", "http://reg.example.com", True),
        ("reg.example.com/team-a/app", "reg.example.com/team-a", True),
        ("reg.example.com/team-b/app", "reg.example.com/team-a", False),
        ("reg.example.com/team-ab/app", "reg.example.com/team-a", True),
        ("reg.example.com/app", "reg.example.com/v2/app", True),
        # host names are compared case-sensitively, like filepath.Match
        ("reg.example.com/app", "Reg.Example.com", False),
    ],
)
def test_kubelet_matching_rules(image, key, matches):
    assert match_credentials(image, config_for(key)).matched is matches


def test_keyring_keys_drop_scheme_and_api_version_path():
    assert keyring_key("https://index.docker.io/v1/") == "index.docker.io"
    assert keyring_key("http://reg.example.com:5000/v2/team") == "reg.example.com:5000/team"
    assert keyring_key("reg.example.com/team/") == "reg.example.com/team/"


def test_urls_match_rejects_a_key_with_a_bad_port():
    assert urls_match("reg.example.com:abc", "reg.example.com/app") is False


def test_the_most_specific_path_is_tried_first():
    config = config_for("quay.io", "quay.io/coreos")
    match = match_credentials("quay.io/coreos/etcd:v3", config)
    assert [c.key for c in match.credentials] == ["quay.io/coreos", "quay.io"]


def test_docker_hub_fallback_applies_only_when_nothing_else_matches():
    config = config_for("docker.io/other", "index.docker.io")
    assert [c.key for c in match_credentials("nginx", config).credentials] == ["index.docker.io"]
    config = config_for("docker.io", "index.docker.io")
    assert [c.key for c in match_credentials("nginx", config).credentials] == ["docker.io"]


def test_credentials_from_several_secrets_are_pooled_like_the_kubelets_keyring():
    first = DockerConfig("a", (RegistryCredential("quay.io", "qa", PASSWORD, "a"),))
    second = DockerConfig("b", (RegistryCredential("ghcr.io", "gh", PASSWORD, "b"),))
    match = match_credentials("ghcr.io/org/tool:1", [first, second])
    assert [c.secret for c in match.credentials] == ["b"]


@pytest.mark.parametrize(
    "image, keys, nearest, fragment, near",
    [
        (
            "reg.example.com:5000/app",
            ["reg.example.com", "quay.io"],
            "reg.example.com",
            "has no port but the image uses port 5000",
            True,
        ),
        (
            "reg.example.com/app",
            ["reg.example.com:5000"],
            "reg.example.com:5000",
            "names port 5000 but the image names none",
            True,
        ),
        (
            "reg.example.com/team-b/app",
            ["reg.example.com/team-a"],
            "reg.example.com/team-a",
            "covers only paths under /team-a, the image is at /team-b/app",
            True,
        ),
        ("a.b.example.com/app", ["*.example.com"], "*.example.com", "each * matches exactly one label", True),
        (
            "bitnami/redis",
            ["registry-1.docker.io"],
            "registry-1.docker.io",
            "use docker.io, index.docker.io, https://index.docker.io/v1/",
            True,
        ),
        ("reg.example.com/app", ["Reg.Example.com"], "Reg.Example.com", "letter case", True),
        (
            "ghcr.io/org/app",
            ["quay.io", "ghcr.com"],
            "ghcr.com",
            "is for host ghcr.com, the image's registry is ghcr.io",
            False,
        ),
    ],
    ids=["missing-port", "extra-port", "path", "glob-labels", "hub-lookalike", "case", "unrelated"],
)
def test_nearest_entry_and_why_it_does_not_match(image, keys, nearest, fragment, near):
    match = match_credentials(image, config_for(*keys))
    assert not match.matched
    assert match.nearest is not None and match.nearest.key == nearest
    assert fragment in match.reason
    assert match.near_miss is near


def test_no_entries_means_no_nearest():
    match = match_credentials("nginx", [])
    assert not match.matched and match.nearest is None and match.reason == ""


def test_invalid_image_matches_nothing():
    match = match_credentials("Bad Image", config_for("docker.io"))
    assert not match.matched and match.target == ""


# --- expiry ------------------------------------------------------------------------------------


def ecr_password(expiration: object) -> str:
    return b64(
        json.dumps(
            {
                "payload": "opaque",
                "datakey": "k",
                "version": "2",
                "type": "DATA_KEY",
                "expiration": expiration,
            }
        )
    )


def jwt(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "password, expiry",
    [
        (ecr_password(1772366400), datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)),
        (ecr_password("1772366400"), datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)),
        (jwt({"exp": 1772370000, "sub": "x"}), datetime(2026, 3, 1, 13, 0, tzinfo=timezone.utc)),
        (jwt({"sub": "no exp"}), None),
        (jwt({"exp": True}), None),
        ("plain-password", None),
        ("a.b.c", None),
        (b64(json.dumps({"no": "expiration"})), None),
    ],
    ids=["ecr", "ecr-string", "jwt", "jwt-no-exp", "jwt-bool-exp", "static", "dots", "json-no-expiration"],
)
def test_credential_expiry(password, expiry):
    assert credential_expiry(RegistryCredential("r.io", "AWS", password)) == expiry


def test_expired_at_compares_with_the_given_clock():
    credential = RegistryCredential("r.io", "AWS", ecr_password(1772366400))  # 12:00
    assert expired_at(credential, NOW) == NOW
    assert expired_at(credential, datetime(2026, 3, 1, 11, 59, tzinfo=timezone.utc)) is None


# --- redaction ---------------------------------------------------------------------------------


def test_passwords_never_appear_in_repr_or_documents():
    auth = b64(f"bot:{PASSWORD}")
    config = parse_pull_secret(pull_secret({"auths": {"reg.example.com": {"auth": auth}}}))
    match = match_credentials("reg.example.com/app", config)
    miss = match_credentials("other.example.com/app", config)
    for text in (
        repr(config),
        repr(match),
        json.dumps(as_document(config)),
        json.dumps(as_document(match)),
        json.dumps(as_document(miss)),
    ):
        assert PASSWORD not in text and auth not in text
    assert as_document(match)["credentials"] == [
        {"key": "reg.example.com", "username": "bot", "secret": "regcred"}
    ]
