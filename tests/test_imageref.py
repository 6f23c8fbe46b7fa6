"""Image references parsed as distribution/reference's ParseNormalizedNamed does."""

from __future__ import annotations

import pytest

from kubectl_pullmedic.core.pulls.imageref import (
    acr_name,
    artifact_registry_location,
    ecr_account_region,
    parse_image,
    registry_family,
)
from kubectl_pullmedic.core.suggest import suggest_official_image, suggest_tag
from kubectl_pullmedic.core.serialize import as_document

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("image,registry,repository,tag,digest,fully_qualified,familiar", [
    ("nginx", "docker.io", "library/nginx", "latest", None, "docker.io/library/nginx:latest", "nginx"),
    ("nginx:1.25", "docker.io", "library/nginx", "1.25", None, "docker.io/library/nginx:1.25", "nginx:1.25"),
    ("bitnami/redis:7", "docker.io", "bitnami/redis", "7", None, "docker.io/bitnami/redis:7", "bitnami/redis:7"),
    ("docker.io/nginx", "docker.io", "library/nginx", "latest", None, "docker.io/library/nginx:latest", "nginx"),
    ("index.docker.io/library/nginx:1", "docker.io", "library/nginx", "1", None,
     "docker.io/library/nginx:1", "nginx:1"),
    ("library/nginx", "docker.io", "library/nginx", "latest", None, "docker.io/library/nginx:latest", "nginx"),
    ("docker.io/library/a/b", "docker.io", "library/a/b", "latest", None,
     "docker.io/library/a/b:latest", "library/a/b"),
    ("quay.io/prometheus/node-exporter:v1.8.0", "quay.io", "prometheus/node-exporter", "v1.8.0", None,
     "quay.io/prometheus/node-exporter:v1.8.0", "quay.io/prometheus/node-exporter:v1.8.0"),
    ("localhost/app", "localhost", "app", "latest", None, "localhost/app:latest", "localhost/app"),
    ("localhost:5000/team/app:dev", "localhost:5000", "team/app", "dev", None,
     "localhost:5000/team/app:dev", "localhost:5000/team/app:dev"),
    ("registry:5000/app", "registry:5000", "app", "latest", None, "registry:5000/app:latest", "registry:5000/app"),
    ("[::1]:5000/app:1", "[::1]:5000", "app", "1", None, "[::1]:5000/app:1", "[::1]:5000/app:1"),
    # A first component with upper case is taken as a host, as splitDockerDomain does.
    ("MyRegistry/app", "MyRegistry", "app", "latest", None, "MyRegistry/app:latest", "MyRegistry/app"),
    ("team/app", "docker.io", "team/app", "latest", None, "docker.io/team/app:latest", "team/app"),
    (f"busybox@{DIGEST}", "docker.io", "library/busybox", None, DIGEST,
     f"docker.io/library/busybox@{DIGEST}", f"busybox@{DIGEST}"),
    (f"busybox:1.36@{DIGEST}", "docker.io", "library/busybox", "1.36", DIGEST,
     f"docker.io/library/busybox:1.36@{DIGEST}", f"busybox:1.36@{DIGEST}"),
    ("a__b/c-d--e/f.g_h:Tag_1.x-Y", "docker.io", "a__b/c-d--e/f.g_h", "Tag_1.x-Y", None,
     "docker.io/a__b/c-d--e/f.g_h:Tag_1.x-Y", "a__b/c-d--e/f.g_h:Tag_1.x-Y"),
])
def test_parses_like_the_runtimes(image, registry, repository, tag, digest, fully_qualified, familiar):
    ref = parse_image(image)
    assert ref.valid, ref.error
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag, digest)
    assert ref.fully_qualified == fully_qualified
    assert ref.familiar == familiar


def test_defaults_are_recorded_and_explained():
    ref = parse_image("nginx")
    assert (ref.registry_defaulted, ref.library_added, ref.tag_defaulted) == (True, True, True)
    notes = " ".join(ref.defaults_applied())
    assert "docker.io" in notes and "library/" in notes and "latest" in notes
    explicit = parse_image("docker.io/library/nginx:1.25")
    assert (explicit.registry_defaulted, explicit.library_added, explicit.tag_defaulted) == (False, False, False)
    assert explicit.defaults_applied() == []
    assert parse_image(f"nginx@{DIGEST}").tag_defaulted is False


@pytest.mark.parametrize("image,error,hint", [
    ("", "invalid reference format", "empty"),
    ("MyApp:1", "invalid reference format: repository name (library/MyApp) must be lowercase", "myapp:1"),
    ("registry.example.com/Team/App:V1", "repository name (Team/App) must be lowercase",
     "registry.example.com/team/app:V1"),
    ("https://ghcr.io/acme/api:1", "invalid reference format", "ghcr.io/acme/api:1"),
    ("ko://github.com/tektoncd/operator/cmd/webhook", "invalid reference format", "URL scheme"),
    ("nginx:", "invalid reference format", "ends with ':'"),
    ("nginx@", "invalid reference format", "ends with '@'"),
    ("nginx 1.25", "invalid reference format", "whitespace"),
    (" nginx", "invalid reference format", "whitespace"),
    ("nginx:-1", "invalid reference format", "tag may contain"),
    ("nginx:" + "a" * 129, "invalid reference format", "longer than 128"),
    ("${REGISTRY}/app:1", "invalid reference format", "placeholder"),
    ("{{ .Values.image }}", "invalid reference format", None),
    ("g" * 64, None, None),  # not hex: a valid (if odd) name
    ("0123456789abcdef" * 4, "cannot specify 64-byte hexadecimal strings", "image ID"),
    ("nginx@sha256:abc", "invalid reference format", None),
    ("nginx@md5:" + "a" * 32, "unsupported digest algorithm", None),
    ("nginx@sha256:" + "a" * 63 + "aa", "invalid checksum digest length", None),
    ("nginx@sha256:" + "A" * 64, "invalid checksum digest format", None),
    ("x/" + "a" * 260, "must not be more than 255 characters", None),
])
def test_invalid_references_carry_the_runtime_error_and_a_hint(image, error, hint):
    ref = parse_image(image)
    if error is None:
        assert ref.valid
        return
    assert not ref.valid
    assert error in ref.error
    if hint:
        assert hint in (ref.hint or "")
    assert ref.fully_qualified == image and ref.familiar == image


@pytest.mark.parametrize("value", [None, 42, ["nginx"], {"image": "nginx"}])
def test_non_strings_are_invalid_not_errors(value):
    assert parse_image(value).valid is False


@pytest.mark.parametrize("host,family", [
    ("docker.io", "dockerhub"),
    ("index.docker.io", "dockerhub"),
    ("registry-1.docker.io", "dockerhub"),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com", "ecr"),
    ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "ecr"),
    ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "ecr"),
    ("123456789012.dkr-ecr.eu-west-1.on.aws", "ecr"),
    ("12345.dkr.ecr.us-east-1.amazonaws.com", "generic"),
    ("public.ecr.aws", "ecr-public"),
    ("myacr.azurecr.io", "acr"),
    ("myacr-eastus.azurecr.io", "acr"),
    ("gcr.io", "gcr"),
    ("eu.gcr.io", "gcr"),
    ("europe-west1-docker.pkg.dev", "artifact-registry"),
    ("us-docker.pkg.dev", "artifact-registry"),
    ("ghcr.io", "ghcr"),
    ("quay.io", "quay"),
    ("registry.gitlab.com", "gitlab"),
    ("harbor.example.com", "generic"),
    ("localhost:5000", "generic"),
    ("", "generic"),
])
def test_registry_family_from_the_host(host, family):
    assert registry_family(host) == family


def test_cloud_registry_details():
    assert ecr_account_region("123456789012.dkr.ecr.eu-west-1.amazonaws.com") == ("123456789012", "eu-west-1")
    assert ecr_account_region("ghcr.io") is None
    assert acr_name("myacr.azurecr.io") == "myacr"
    assert acr_name("quay.io") is None
    assert artifact_registry_location("us-central1-docker.pkg.dev") == "us-central1"
    assert parse_image("myacr.azurecr.io/team/api:1").family == "acr"


@pytest.mark.parametrize("tag,candidates,expected", [
    ("latestt", ("latest",), "latest"),
    ("lates", ("latest",), "latest"),
    ("lastest", ("latest",), "latest"),
    ("laetst", ("latest",), "latest"),
    ("Latest", ("latest",), "latest"),
    ("latest", ("latest",), None),
    ("stable", ("latest",), None),
    ("v1", ("latest",), None),
    ("v1.2.3", ("1.2.3", "1.3.0"), "1.2.3"),
    ("1.2.3", ("v1.2.3", "v1.3.0"), "v1.2.3"),
    ("1.25.99", ("1.24.0", "1.25.3", "1.25.4"), "1.25.4"),
    ("1.2.0", ("1.2.1", "1.2.9", "2.0.0"), "1.2.9"),
    ("3.19", ("3.18", "3.20", "edge"), "3.18"),  # one edit away beats two
    ("3.1.9", ("3.1.8", "3.1.7"), "3.1.8"),  # equally close: the newest
    ("9.9.9", ("1.0.0", "2.0.0"), None),
    (None, ("latest",), None),
    ("", ("latest",), None),
])
def test_suggest_tag(tag, candidates, expected):
    assert suggest_tag(tag, candidates) == expected


def test_suggest_tag_defaults_to_latest_only():
    assert suggest_tag("latets") == "latest"
    assert suggest_tag("1.2.4") is None


def test_with_tag_keeps_the_users_style():
    assert parse_image("nginx:latestt").with_tag("latest") == "nginx:latest"
    assert parse_image("quay.io/a/b").with_tag("v2") == "quay.io/a/b:v2"
    assert parse_image(f"ghcr.io/a/b:1@{DIGEST}").with_tag("2") == "ghcr.io/a/b:2"


def test_to_dict_is_json_ready():
    import json

    data = json.loads(json.dumps(as_document(parse_image("nginx"))))
    assert data["fullyQualified"] == "docker.io/library/nginx:latest"
    assert data["tagDefaulted"] is True
    assert data["family"] == "dockerhub"


@pytest.mark.parametrize("name,expected", [
    ("nodejs", "node"), ("ngnix", "nginx"), ("postgresql", "postgres"), ("mongodb", "mongo"),
    ("pyhton", "python"), ("redis", None), ("acme-internal-service", None), ("NodeJS", "node"),
])
def test_suggest_official_image(name, expected):
    assert suggest_official_image(name) == expected

