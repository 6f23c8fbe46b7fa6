"""The cause codes: part of the plugin's interface (the CAUSE column and ``cause`` in JSON).

Keep these names stable; scripts match on them. Pull causes are defined here, eviction causes
where eviction messages are parsed, and both are gathered below.
"""

from __future__ import annotations


from .evictions.endings import (
    CAUSE_NODE_AFFINITY,
    CAUSE_NODE_SHUTDOWN,
    CAUSE_OUT_OF_RESOURCE,
    CAUSE_PREEMPTED,
    CAUSE_REJECTED_OTHER,
)
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
# The registry answered, but the layer download it redirected to object storage or a CDN failed.
LAYER_DOWNLOAD_FAILED = "LayerDownloadFailed"
PULL_FAILED = "PullFailed"
# Not a pull error: a pull still running past why --slow-pull (5m by default), from its events.
SLOW_PULL = "SlowPull"

PULL_CAUSES = (
    IMAGE_NOT_FOUND, REGISTRY_AUTH_REQUIRED, REGISTRY_ACCESS_DENIED, REGISTRY_CREDENTIALS_EXPIRED,
    REGISTRY_RATE_LIMITED, REGISTRY_DNS_FAILURE, REGISTRY_UNREACHABLE, REGISTRY_TLS_ERROR,
    REGISTRY_SERVER_ERROR, LAYER_DOWNLOAD_FAILED, PLATFORM_MISMATCH, INVALID_IMAGE_NAME, IMAGE_NEVER_PULLED,
    NODE_DISK_FULL, SIGNATURE_VALIDATION_FAILED, PULL_FAILED,
)
AUTH_CAUSES = frozenset({REGISTRY_AUTH_REQUIRED, REGISTRY_ACCESS_DENIED, REGISTRY_CREDENTIALS_EXPIRED})
# Every way the kubelet ends a pod that then lingers as Failed: evictions, refusals, shutdown, preemption.
EVICTION_CAUSES = frozenset(
    {CAUSE_MEMORY, CAUSE_EPHEMERAL_STORAGE, CAUSE_DISK, CAUSE_PID, CAUSE_OTHER, CAUSE_REJECTED,
     CAUSE_OUT_OF_RESOURCE, CAUSE_NODE_AFFINITY, CAUSE_REJECTED_OTHER, CAUSE_NODE_SHUTDOWN, CAUSE_PREEMPTED}
)
REJECTED_OUT_OF_RESOURCE = CAUSE_OUT_OF_RESOURCE
REJECTED_NODE_AFFINITY = CAUSE_NODE_AFFINITY
REJECTED_BY_KUBELET = CAUSE_REJECTED_OTHER
NODE_SHUTDOWN = CAUSE_NODE_SHUTDOWN
PREEMPTED_BY_KUBELET = CAUSE_PREEMPTED
