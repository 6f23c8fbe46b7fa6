"""Image references read exactly as the container runtimes normalise them.

The kubelet and containerd, CRI-O and Docker all parse ``spec.containers[].image`` with
distribution/reference's ``ParseNormalizedNamed``: a first path component is a registry host
only if it contains ``.`` or ``:``, is ``localhost``, or has upper-case letters; otherwise the
image lives on Docker Hub, where a single name also gains ``library/``. A missing tag (and no
digest) means ``latest``. Users rarely see these defaults, and a surprising number of
"image not found" reports are one of them, so :class:`ImageRef` keeps track of each.
"""

from __future__ import annotations

import functools

import re
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from ..suggest import suggest_tag

__all__ = [
    "ImageRef", "corrected_reference", "parse_image", "registry_family", "ecr_account_region", "acr_name",
    "artifact_registry_location", "suggest_tag",
]

DOCKER_HUB = "docker.io"
LEGACY_DOCKER_HUB = "index.docker.io"
DOCKER_HUB_ALIASES = frozenset({DOCKER_HUB, LEGACY_DOCKER_HUB, "registry-1.docker.io"})
OFFICIAL_PREFIX = "library/"
# Registries that serve every image to anyone: a pull from them never needs a secret.
PUBLIC_ONLY_REGISTRIES = frozenset({"registry.k8s.io", "k8s.gcr.io", "mcr.microsoft.com", "public.ecr.aws"})
DEFAULT_TAG = "latest"
MAX_REPOSITORY_LENGTH = 255

# distribution/reference regexp.go, translated to Python (ASCII \w as in Go's RE2).
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
_REMOTE_NAME = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = r"(?:" + _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*|\[[a-fA-F0-9:]+\])"
_DOMAIN_AND_PORT = _HOST + r"(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE_RE = re.compile(
    r"^((?:" + _DOMAIN_AND_PORT + r"/)?" + _REMOTE_NAME + r")"
    r"(?::(" + _TAG + r"))?(?:@(" + _DIGEST + r"))?$",
    re.ASCII,
)
_NAME_RE = re.compile(r"^(?:(" + _DOMAIN_AND_PORT + r")/)?(" + _REMOTE_NAME + r")$", re.ASCII)
_IDENTIFIER_RE = re.compile(r"^[a-f0-9]{64}$")
# go-digest: the algorithms it registers and the length of their hex encoding.
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}

# Registry families, detected from the host alone (Harbor and other self-hosted registries
# cannot be told apart by name, so they are "generic").
DOCKERHUB = "dockerhub"
ECR = "ecr"
ECR_PUBLIC = "ecr-public"
ACR = "acr"
GCR = "gcr"
ARTIFACT_REGISTRY = "artifact-registry"
GHCR = "ghcr"
QUAY = "quay"
GITLAB = "gitlab"
GENERIC = "generic"

# As in the kubelet's ECR credential provider (cloud-provider-aws ecr-credential-provider).
_ECR_HOST_RE = re.compile(
    r"^(\d{12})\.dkr[.-]ecr(?:-fips)?\.([a-z0-9][a-z0-9-_]*)\."
    r"(?:amazonaws\.com(?:\.cn)?|on\.aws|sc2s\.sgov\.gov|c2s\.ic\.gov)$"
)
_ACR_HOST_RE = re.compile(r"^([a-z0-9]+)(?:-[a-z0-9]+)*\.azurecr\.(?:io|cn|us|de)$")
_ARTIFACT_REGISTRY_HOST_RE = re.compile(r"^([a-z0-9-]+)-docker\.pkg\.dev$")


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference; ``valid`` is False (with ``error``) when a runtime would refuse it."""

    original: str
    registry: str = DOCKER_HUB
    repository: str = ""
    tag: Optional[str] = None
    digest: Optional[str] = None
    registry_defaulted: bool = False
    library_added: bool = False
    tag_defaulted: bool = False
    valid: bool = True
    error: Optional[str] = None
    hint: Optional[str] = None

    DOCUMENT_FIELDS = ("original", "valid", "error", "hint", "registry", "repository", "tag", "digest", "tag_defaulted",
                       "registry_defaulted", "library_added", "fully_qualified", "familiar", "family")

    @property
    def name(self) -> str:
        """Registry and repository, e.g. ``docker.io/library/nginx``."""
        return f"{self.registry}/{self.repository}" if self.repository else ""

    @property
    def fully_qualified(self) -> str:
        """What the runtime pulls, defaults made visible: ``docker.io/library/nginx:latest``."""
        if not self.valid:
            return self.original
        text = self.name
        if self.tag:
            text += ":" + self.tag
        if self.digest:
            text += "@" + self.digest
        return text

    @property
    def familiar(self) -> str:
        """The short form Docker shows: ``nginx``, ``bitnami/redis:7``; defaults left out."""
        if not self.valid:
            return self.original
        registry, repository = self.registry, self.repository
        if registry == DOCKER_HUB:
            short = repository[len(OFFICIAL_PREFIX):]
            text = short if repository.startswith(OFFICIAL_PREFIX) and "/" not in short else repository
        else:
            text = f"{registry}/{repository}"
        if self.tag and not self.tag_defaulted:
            text += ":" + self.tag
        if self.digest:
            text += "@" + self.digest
        return text

    @property
    def family(self) -> str:
        return registry_family(self.registry)

    @property
    def is_official(self) -> bool:
        """A Docker Hub official image (``library/<name>``): public, and its name is curated.

        >>> parse_image("nginx").is_official, parse_image("bitnami/redis").is_official
        (True, False)
        """
        return self.valid and self.family == DOCKERHUB and self.repository.startswith(OFFICIAL_PREFIX) \
            and "/" not in self.repository[len(OFFICIAL_PREFIX):]

    @property
    def always_public(self) -> bool:
        """Pulled anonymously by anyone: official Docker Hub images and public-only registries.

        >>> [parse_image(i).always_public for i in ("busybox:1.36", "registry.k8s.io/pause:3.9", "acme/app")]
        [True, True, False]
        """
        return self.is_official or (self.valid and self.registry in PUBLIC_ONLY_REGISTRIES)

    def with_tag(self, tag: str) -> str:
        """The reference in the user's own style with another tag (and no digest).

        >>> parse_image("nginx:latestt").with_tag("latest")
        'nginx:latest'
        """
        base = self.familiar.split("@", 1)[0]
        if self.tag and not self.tag_defaulted:
            base = base[: -(len(self.tag) + 1)]
        return f"{base}:{tag}"

    def defaults_applied(self) -> List[str]:
        """The defaults the runtime filled in, in words, so users see what was really pulled."""
        notes = []
        if self.registry_defaulted:
            notes.append("docker.io is the registry when the name has none")
        if self.library_added:
            notes.append("library/ is added to a single-name Docker Hub image")
        if self.tag_defaulted:
            notes.append("latest is the tag when neither tag nor digest is given")
        return notes


def parse_image(image: Any) -> ImageRef:
    """Parse ``image`` as the kubelet's ``ParseNormalizedNamed`` does; never raises.

    >>> ref = parse_image("nginx")
    >>> ref.fully_qualified, ref.tag_defaulted, ref.library_added
    ('docker.io/library/nginx:latest', True, True)
    >>> parse_image("quay.io/prometheus/node-exporter:v1.8.0").registry
    'quay.io'
    >>> parse_image("localhost/app").registry
    'localhost'
    >>> parse_image("MyApp:1").error
    'invalid reference format: repository name (library/MyApp) must be lowercase'
    """
    # A cluster runs few distinct images on many pods: each is parsed once (an ImageRef is immutable).
    return _parse_text(image) if isinstance(image, str) else _parse(image)


def _parse(image: Any) -> ImageRef:
    text = image if isinstance(image, str) else ""
    if not text:
        return _invalid(text, "invalid reference format", "the image name is empty")
    if _IDENTIFIER_RE.match(text):
        return _invalid(
            text,
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings",
            "an image ID is not a pullable reference",
        )
    domain, remainder, domain_given, library_added = _split_docker_domain(text)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        return _invalid(text, f"invalid reference format: repository name ({remote}) must be lowercase",
                        f"use lower case: {_lowercase_repository(text)}")
    match = _REFERENCE_RE.match(domain + "/" + remainder)
    if not match:
        return _invalid(text, "invalid reference format", _format_hint(text))
    name, tag, digest = match.group(1), match.group(2), match.group(3)
    registry, repository = _NAME_RE.match(name).groups()  # type: ignore[union-attr]
    if len(repository) > MAX_REPOSITORY_LENGTH:
        return _invalid(text, f"repository name must not be more than {MAX_REPOSITORY_LENGTH} characters")
    if digest:
        digest_error = _digest_error(digest)
        if digest_error:
            return _invalid(text, digest_error, "check the @sha256:... part")
    tag_defaulted = not tag and not digest
    return ImageRef(
        original=text,
        registry=registry,
        repository=repository,
        tag=DEFAULT_TAG if tag_defaulted else tag,
        digest=digest,
        registry_defaulted=not domain_given,
        library_added=library_added,
        tag_defaulted=tag_defaulted,
    )



_parse_text = functools.lru_cache(maxsize=4096)(_parse)


def _invalid(text: str, error: str, hint: Optional[str] = None) -> ImageRef:
    return ImageRef(original=text, registry="", repository="", valid=False, error=error, hint=hint)


def _split_docker_domain(name: str) -> Tuple[str, str, bool, bool]:
    """(domain, remainder, domain named by the user, library/ added) as splitDockerDomain does."""
    first, slash, rest = name.partition("/")
    if not slash:
        return DOCKER_HUB, OFFICIAL_PREFIX + name, False, True
    if first == "localhost" or any(c in first for c in ".:") or first.lower() != first:
        domain, remainder, given = first, rest, True
        if domain == LEGACY_DOCKER_HUB:
            domain = DOCKER_HUB
    else:
        domain, remainder, given = DOCKER_HUB, name, False
    if domain == DOCKER_HUB and "/" not in remainder:
        return domain, OFFICIAL_PREFIX + remainder, given, True
    return domain, remainder, given, False


def _digest_error(digest: str) -> Optional[str]:
    algorithm, _, encoded = digest.partition(":")
    expected = _DIGEST_HEX_LENGTH.get(algorithm)
    if expected is None:
        return "unsupported digest algorithm"
    if len(encoded) != expected:
        return "invalid checksum digest length"
    if encoded.lower() != encoded:
        return "invalid checksum digest format"
    return None


def _lowercase_repository(text: str) -> str:
    first, slash, rest = text.partition("/")
    if slash and (first == "localhost" or any(c in first for c in ".:")):
        return first + "/" + _lowercase_name_keep_tag(rest)
    return _lowercase_name_keep_tag(text)


def _lowercase_name_keep_tag(text: str) -> str:
    head, at, digest = text.partition("@")
    name, colon, tag = head.rpartition(":") if ":" in head.rsplit("/", 1)[-1] else (head, "", "")
    return name.lower() + colon + tag + at + digest


def corrected_reference(text: str) -> Optional[str]:
    """A valid reference the mistyped ``text`` most likely meant, or None.

    >>> corrected_reference(" https://Ghcr.io/Acme/API:v1 ")
    'ghcr.io/acme/api:v1'
    >>> corrected_reference("nginx:"), corrected_reference("${IMAGE}")
    ('nginx', None)
    """
    candidate = text.strip()
    for prefix in ("https://", "http://", "docker://", "oci://"):
        if candidate.lower().startswith(prefix):
            candidate = candidate[len(prefix):]
    candidate = _lowercase_name_keep_tag(candidate.rstrip(":@"))
    return candidate if candidate != text and parse_image(candidate).valid else None


def _format_hint(text: str) -> Optional[str]:
    """A plain-words reason for an "invalid reference format" the runtimes give without one."""
    if text != text.strip() or any(c.isspace() for c in text):
        return "the name contains whitespace"
    if "://" in text:
        return "remove the URL scheme: an image reference has none (" + text.split("://", 1)[1] + ")"
    if text.endswith((":", "@")):
        return "the name ends with '" + text[-1] + "' but no tag or digest follows"
    head = text.split("@", 1)[0]
    last = head.rsplit("/", 1)[-1]
    if ":" in last and len(last.split(":", 1)[1]) > 128:
        return "the tag is longer than 128 characters"
    if ":" in last and not re.match(r"^" + _TAG + r"$", last.split(":", 1)[1], re.ASCII):
        return "the tag may contain only letters, digits, '_', '.' and '-', and not start with '.' or '-'"
    if "${" in text or "$(" in text or "{{" in text:
        return "an unexpanded variable or template placeholder is in the name"
    return None


def registry_family(host: str) -> str:
    """Which registry service a host belongs to; GENERIC for anything self-hosted.

    >>> registry_family("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
    'ecr'
    >>> registry_family("europe-west1-docker.pkg.dev"), registry_family("harbor.example.com")
    ('artifact-registry', 'generic')
    """
    host = (host or "").lower()
    if host in DOCKER_HUB_ALIASES:
        return DOCKERHUB
    if _ECR_HOST_RE.match(host):
        return ECR
    if host == "public.ecr.aws":
        return ECR_PUBLIC
    if _ACR_HOST_RE.match(host):
        return ACR
    if host == "gcr.io" or host.endswith(".gcr.io"):
        return GCR
    if _ARTIFACT_REGISTRY_HOST_RE.match(host):
        return ARTIFACT_REGISTRY
    if host == "ghcr.io":
        return GHCR
    if host == "quay.io":
        return QUAY
    if host == "registry.gitlab.com":
        return GITLAB
    return GENERIC


def ecr_account_region(host: str) -> Optional[Tuple[str, str]]:
    """(account, region) of an ECR host, for IAM fixes that name them."""
    match = _ECR_HOST_RE.match((host or "").lower())
    return (match.group(1), match.group(2)) if match else None


def acr_name(host: str) -> Optional[str]:
    """The registry name ``az`` commands take: ``myacr`` for ``myacr.azurecr.io``."""
    host = (host or "").lower()
    return host.split(".", 1)[0] if _ACR_HOST_RE.match(host) else None


def artifact_registry_location(host: str) -> Optional[str]:
    """``europe-west1`` for ``europe-west1-docker.pkg.dev``."""
    match = _ARTIFACT_REGISTRY_HOST_RE.match((host or "").lower())
    return match.group(1) if match else None
