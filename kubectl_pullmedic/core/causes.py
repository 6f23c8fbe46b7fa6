"""The cause codes: part of the plugin's interface (the CAUSE column and ``cause`` in JSON).

Keep these names stable; scripts match on them. Pull causes are defined here, eviction causes
where eviction messages are parsed, and both are gathered below.
"""

from __future__ import annotations

from typing import Dict

from .evictions.messages import (
    CAUSE_DISK,
    CAUSE_EPHEMERAL_STORAGE,
    CAUSE_MEMORY,
    CAUSE_OTHER,
    CAUSE_PID,
    CAUSE_REJECTED,
)

IMAGE_NOT_FOUND = "ImageNotFound"
REGISTRY_AUTH_REQUIRED = "RegistryAuthRequired"
REGISTRY_ACCESS_DENIED = "RegistryAccessDenied"
REGISTRY_CREDENTIALS_EXPIRED = "RegistryCredentialsExpired"
REGISTRY_RATE_LIMITED = "RegistryRateLimited"
REGISTRY_DNS_FAILURE = "RegistryDNSFailure"
REGISTRY_UNREACHABLE = "RegistryUnreachable"
REGISTRY_TLS_ERROR = "RegistryTLSError"
REGISTRY_SERVER_ERROR = "RegistryServerError"
PLATFORM_MISMATCH = "PlatformMismatch"
INVALID_IMAGE_NAME = "InvalidImageName"
IMAGE_NEVER_PULLED = "ImageNeverPulled"
NODE_DISK_FULL = "NodeDiskFull"
SIGNATURE_VALIDATION_FAILED = "SignatureValidationFailed"
PULL_FAILED = "PullFailed"

PULL_CAUSES = (
    IMAGE_NOT_FOUND, REGISTRY_AUTH_REQUIRED, REGISTRY_ACCESS_DENIED, REGISTRY_CREDENTIALS_EXPIRED,
    REGISTRY_RATE_LIMITED, REGISTRY_DNS_FAILURE, REGISTRY_UNREACHABLE, REGISTRY_TLS_ERROR,
    REGISTRY_SERVER_ERROR, PLATFORM_MISMATCH, INVALID_IMAGE_NAME, IMAGE_NEVER_PULLED, NODE_DISK_FULL,
    SIGNATURE_VALIDATION_FAILED, PULL_FAILED,
)
AUTH_CAUSES = frozenset({REGISTRY_AUTH_REQUIRED, REGISTRY_ACCESS_DENIED, REGISTRY_CREDENTIALS_EXPIRED})
NETWORK_CAUSES = frozenset({REGISTRY_DNS_FAILURE, REGISTRY_UNREACHABLE, REGISTRY_TLS_ERROR})
EVICTION_CAUSES = frozenset(
    {CAUSE_MEMORY, CAUSE_EPHEMERAL_STORAGE, CAUSE_DISK, CAUSE_PID, CAUSE_OTHER, CAUSE_REJECTED}
)

# One line per cause, for summaries and the CAUSE column's legend.
DESCRIPTIONS: Dict[str, str] = {
    IMAGE_NOT_FOUND: "the repository, tag or digest does not exist in the registry",
    REGISTRY_AUTH_REQUIRED: "the registry wants credentials and got none, or rejected them",
    REGISTRY_ACCESS_DENIED: "the registry accepted the credentials but does not allow this pull",
    REGISTRY_CREDENTIALS_EXPIRED: "the pull credentials have expired",
    REGISTRY_RATE_LIMITED: "the registry is refusing pulls because of its rate limit",
    REGISTRY_DNS_FAILURE: "the node cannot resolve the registry's host name",
    REGISTRY_UNREACHABLE: "the node cannot connect to the registry",
    REGISTRY_TLS_ERROR: "the TLS connection to the registry failed",
    REGISTRY_SERVER_ERROR: "the registry answered with a server error",
    PLATFORM_MISMATCH: "the image has no variant for the node's OS/architecture",
    INVALID_IMAGE_NAME: "the image reference cannot be parsed",
    IMAGE_NEVER_PULLED: "the image is not on the node and the pull policy is Never",
    NODE_DISK_FULL: "the node ran out of disk space while pulling",
    SIGNATURE_VALIDATION_FAILED: "the runtime's signature policy rejected the image",
    PULL_FAILED: "the pull failed for a reason pullmedic does not recognise",
    CAUSE_MEMORY: "evicted: the node ran low on memory",
    CAUSE_EPHEMERAL_STORAGE: "evicted: ephemeral storage use exceeded a limit or the node ran low",
    CAUSE_DISK: "evicted: the node's disk (nodefs/imagefs) ran low",
    CAUSE_PID: "evicted: the node ran low on process IDs",
    CAUSE_OTHER: "evicted by the kubelet",
    CAUSE_REJECTED: "refused by the kubelet: the node was under pressure when the pod arrived",
}
