"""Table-driven tests of pull-error classification over real message shapes.

Each message is the text a kubelet event or waiting message carries, in the wording of
containerd, CRI-O or Docker (dockershim / cri-dockerd) and of the registry behind it, taken
from the runtimes' sources and public bug reports (hosts, accounts and digests changed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubectl_pullmedic.core import causes as pe
from kubectl_pullmedic.core.pulls.imageref import parse_image
from kubectl_pullmedic.core.pulls.classify import classify_pull_error
from kubectl_pullmedic.core.pulls.wordings import PATTERNS
from kubectl_pullmedic.core.serialize import as_document

DIGEST = "sha256:8d0bff43db3ce5c528cb6f957520511d263d7cceee012696e4afdc9087919bb9"
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"

# (id, message, expected cause, expected detail subset)
CASES = [
    # --- ImageNotFound ------------------------------------------------------------------
    ("containerd-tag-not-found",
     'Failed to pull image "nginx:1.99": rpc error: code = NotFound desc = failed to pull and unpack image '
     '"docker.io/library/nginx:1.99": failed to resolve reference "docker.io/library/nginx:1.99": '
     'docker.io/library/nginx:1.99: not found',
     pe.IMAGE_NOT_FOUND, {"runtime": "containerd", "grpcCode": "NotFound", "host": "docker.io"}),
    ("containerd-transfer-service",
     'Failed to pull image "nginx:latestt": rpc error: code = NotFound desc = failed to resolve image: '
     'docker.io/library/nginx:latestt: not found',
     pe.IMAGE_NOT_FOUND, {"runtime": "containerd", "missing": "tag"}),
    ("containerd-no-rpc-wrapper",
     'Failed to pull image "ghcr.io/acme/api:v2": failed to pull and unpack image "ghcr.io/acme/api:v2": '
     'failed to resolve reference "ghcr.io/acme/api:v2": ghcr.io/acme/api:v2: not found',
     pe.IMAGE_NOT_FOUND, {"image": "ghcr.io/acme/api:v2", "host": "ghcr.io"}),
    ("containerd-digest-not-found",
     f'Failed to pull image "quay.io/acme/api@{DIGEST}": rpc error: code = NotFound desc = failed to pull and '
     f'unpack image "quay.io/acme/api@{DIGEST}": failed to resolve reference "quay.io/acme/api@{DIGEST}": '
     f'quay.io/acme/api@{DIGEST}: not found',
     pe.IMAGE_NOT_FOUND, {"missing": "digest"}),
    ("docker-manifest-unknown",
     'Failed to pull image "registry.gitlab.com/acme/api:lates": rpc error: code = Unknown desc = Error response '
     'from daemon: manifest for registry.gitlab.com/acme/api:lates not found: manifest unknown: manifest unknown',
     pe.IMAGE_NOT_FOUND, {"runtime": "docker", "missing": "tag"}),
    ("crio-manifest-unknown",
     'Failed to pull image "quay.io/acme/api:v9": rpc error: code = Unknown desc = initializing source '
     'docker://quay.io/acme/api:v9: reading manifest v9 in quay.io/acme/api: manifest unknown',
     pe.IMAGE_NOT_FOUND, {"runtime": "cri-o", "missing": "tag"}),
    ("crio-old-error-initializing",
     'rpc error: code = Unknown desc = Error initializing source docker://registry.example.com/team/app:1.0: '
     'Error reading manifest 1.0 in registry.example.com/team/app: manifest unknown: manifest unknown',
     pe.IMAGE_NOT_FOUND, {"runtime": "cri-o", "missing": "tag"}),
    ("ecr-requested-image-not-found",
     f'Failed to pull image "{ECR}/api:2.0": rpc error: code = Unknown desc = Error response from daemon: '
     f'manifest for {ECR}/api:2.0 not found: manifest unknown: Requested image not found',
     pe.IMAGE_NOT_FOUND, {"missing": "tag", "host": ECR}),
    ("ecr-repository-missing",
     f"initializing source docker://{ECR}/nope:1: reading manifest 1 in {ECR}/nope: name unknown: The "
     "repository with name 'nope' does not exist in the registry with id '123456789012'",
     pe.IMAGE_NOT_FOUND, {"missing": "repository"}),
    ("harbor-artifact-not-found",
     'Failed to pull image "harbor.example.com/library/app:9": rpc error: code = Unknown desc = Error response '
     'from daemon: unknown: artifact library/app:9 not found',
     pe.IMAGE_NOT_FOUND, {"missing": "tag"}),
    ("quay-tag-expired",
     'rpc error: code = Unknown desc = Error response from daemon: unknown: Tag 5.2 was deleted or has expired. '
     'To pull, revive via time machine',
     pe.IMAGE_NOT_FOUND, {}),
    ("dockershim-old-not-found",
     'Failed to pull image "acme/nope": rpc error: code = Unknown desc = Error response from daemon: '
     'repository acme/nope not found: '
     'does not exist or no pull access',
     pe.IMAGE_NOT_FOUND, {}),
    ("waiting-1.32-not-found",
     'Back-off pulling image "nginx:1.99": ErrImagePull: rpc error: code = NotFound desc = failed to pull and '
     'unpack image "docker.io/library/nginx:1.99": failed to resolve reference "docker.io/library/nginx:1.99": '
     'docker.io/library/nginx:1.99: not found',
     pe.IMAGE_NOT_FOUND, {"kubeletError": "ErrImagePull"}),
    # Docker Hub official image: denial can only mean the name does not exist.
    ("containerd-dockerhub-official-denied",
     'Failed to pull image "snj": failed to pull and unpack image "docker.io/library/snj:latest": failed to '
     'resolve reference "docker.io/library/snj:latest": pull access denied, repository does not exist or may '
     'require authorization: server message: insufficient_scope: authorization failed',
     pe.IMAGE_NOT_FOUND, {}),
    # --- RegistryAuthRequired -----------------------------------------------------------
    ("acr-anonymous-401",
     'Failed to pull image "myacr.azurecr.io/main/api:v5": failed to pull and unpack image '
     '"myacr.azurecr.io/main/api:v5": failed to resolve reference "myacr.azurecr.io/main/api:v5": failed to '
     'authorize: failed to fetch anonymous token: unexpected status from GET request to '
     'https://myacr.azurecr.io/oauth2/token?scope=repository%3Amain%2Fapi%3Apull&service=myacr.azurecr.io: '
     '401 Unauthorized',
     pe.REGISTRY_AUTH_REQUIRED, {"httpStatus": 401, "host": "myacr.azurecr.io"}),
    ("gar-anonymous-403",
     'europe-west1-docker.pkg.dev/foo/ar/python:3.9-slim: failed to authorize: failed to fetch anonymous token: '
     'unexpected status: 403 Forbidden',
     pe.REGISTRY_AUTH_REQUIRED, {"httpStatus": 403}),
    ("docker-unauthorized",
     'Failed to pull image "cloudtech.azurecr.io/web:1": rpc error: code = Unknown desc = Error response from '
     'daemon: Get https://cloudtech.azurecr.io/v2/web/manifests/1: unauthorized: authentication required',
     pe.REGISTRY_AUTH_REQUIRED, {"host": "cloudtech.azurecr.io"}),
    ("ecr-no-basic-auth",
     f'Failed to pull image "{ECR}/isam:9.0": rpc error: code = Unknown desc = Error response from daemon: '
     f'Get https://{ECR}/v2/isam/manifests/9.0: no basic auth credentials',
     pe.REGISTRY_AUTH_REQUIRED, {"host": ECR}),
    ("containerd-ecr-no-basic-auth",
     f'failed to pull and unpack image "{ECR}/pause@{DIGEST}": failed to resolve reference "{ECR}/pause@{DIGEST}": '
     'pull access denied, repository does not exist or may require authorization: authorization failed: '
     'no basic auth credentials',
     pe.REGISTRY_AUTH_REQUIRED, {}),
    ("containerd-oauth-401",
     'failed to resolve reference "registry.example.com/team/app:1": failed to authorize: failed to fetch oauth '
     'token: unexpected status from POST request to https://auth.example.com/token: 401 Unauthorized',
     pe.REGISTRY_AUTH_REQUIRED, {"httpStatus": 401, "host": "auth.example.com"}),
    ("containerd-host-status-401",
     'rpc error: code = Unknown desc = failed to pull and unpack image "registry.app.example.net/team/app:1": '
     'failed to resolve reference "registry.app.example.net/team/app:1": pulling from host '
     'registry.app.example.net failed with status code [manifests 1]: 401 Unauthorized',
     pe.REGISTRY_AUTH_REQUIRED, {"httpStatus": 401}),
    ("crio-invalid-username-password",
     'rpc error: code = Unknown desc = initializing source docker://registry.example.com/app:1: unable to '
     'retrieve auth token: invalid username/password: unauthorized: authentication required',
     pe.REGISTRY_AUTH_REQUIRED, {"runtime": "cri-o"}),
    ("harbor-unauthorized-no-secrets",
     'Error initializing source docker://registry.example.com/ci/predict:1.0.0: Error reading manifest 1.0.0 in '
     'registry.example.com/ci/predict: unauthorized: unauthorized to access repository: ci/predict, action: '
     'pull: unauthorized to access repository: ci/predict, action: pull',
     pe.REGISTRY_AUTH_REQUIRED, {"runtime": "cri-o"}),
    ("gitlab-basic-denied",
     'Error response from daemon: Get "https://registry.gitlab.com/v2/acme/api/manifests/1": unauthorized: '
     'HTTP Basic: Access denied',
     pe.REGISTRY_AUTH_REQUIRED, {}),
    # --- RegistryAccessDenied -----------------------------------------------------------
    ("containerd-ecr-403",
     f'Failed to pull image "{ECR}/api:1": rpc error: code = Unknown desc = failed to pull and unpack image '
     f'"{ECR}/api:1": failed to resolve reference "{ECR}/api:1": unexpected status from HEAD request to '
     f'https://{ECR}/v2/api/manifests/1: 403 Forbidden',
     pe.REGISTRY_ACCESS_DENIED, {"httpStatus": 403, "host": ECR}),
    ("ecr-iam-not-authorized",
     f'Error response from daemon: pull access denied for {ECR}/api, repository does not exist or may require '
     "'docker login': denied: User: arn:aws:sts::123456789012:assumed-role/node/i-0abc is not authorized to "
     'perform: ecr:BatchGetImage on resource: arn:aws:ecr:eu-west-1:123456789012:repository/api',
     pe.REGISTRY_ACCESS_DENIED, {}),
    ("gitlab-access-forbidden",
     'Error response from daemon: Head "https://registry.gitlab.com/v2/acme/api/manifests/1": denied: access '
     'forbidden',
     pe.REGISTRY_ACCESS_DENIED, {}),
    ("gke-streaming-403",
     'Failed to pull image "gcr.io/acme/mono:1.0.0": rpc error: code = Unknown desc = failed to pull and unpack '
     'image "gcr.io/acme/mono:1.0.0": failed to resolve reference "gcr.io/acme/mono:1.0.0": pulling from host '
     'gcr.io failed with status code [manifests 1.0.0]: 403 Forbidden',
     pe.REGISTRY_ACCESS_DENIED, {"httpStatus": 403}),
    ("artifact-registry-permission",
     'Failed to pull image "us-docker.pkg.dev/acme/tools/berglas:latest": rpc error: code = Unknown desc = '
     'Error response from daemon: Get https://us-docker.pkg.dev/v2/acme/tools/berglas/manifests/latest: denied: '
     'Permission "artifactregistry.repositories.downloadArtifacts" denied on resource '
     '"projects/acme/locations/us/repositories/tools" (or it may not exist)',
     pe.REGISTRY_ACCESS_DENIED, {}),
    # --- RegistryCredentialsExpired -----------------------------------------------------
    ("ecr-token-expired-docker",
     f"Error response from daemon: pull access denied for {ECR}/test, repository does not exist or may require "
     "'docker login': denied: Your authorization token has expired. Reauthenticate and try again.",
     pe.REGISTRY_CREDENTIALS_EXPIRED, {}),
    ("ecr-token-expired-crio",
     f"initializing source docker://{ECR}/image:1: reading manifest 1 in {ECR}/image: denied: Your "
     "authorization token has expired. Reauthenticate and try again.",
     pe.REGISTRY_CREDENTIALS_EXPIRED, {"runtime": "cri-o"}),
    # --- RegistryRateLimited ------------------------------------------------------------
    ("containerd-429",
     f'Failed to pull image "busybox": rpc error: code = Unknown desc = failed to pull and unpack image '
     f'"docker.io/library/busybox:latest": failed to copy: httpReadSeeker: failed open: unexpected status code '
     f'https://registry-1.docker.io/v2/library/busybox/manifests/{DIGEST}: 429 Too Many Requests - Server '
     'message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by '
     'authenticating and upgrading: https://www.docker.com/increase-rate-limit',
     pe.REGISTRY_RATE_LIMITED, {"httpStatus": 429, "host": "registry-1.docker.io"}),
    ("docker-toomanyrequests",
     'rpc error: code = Unknown desc = Error response from daemon: toomanyrequests: You have reached your '
     'unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
     pe.REGISTRY_RATE_LIMITED, {"runtime": "docker"}),
    ("crio-toomanyrequests",
     'initializing source docker://nginx:1.13: reading manifest 1.13 in docker.io/library/nginx: '
     'toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating '
     'and upgrading: https://www.docker.com/increase-rate-limit',
     pe.REGISTRY_RATE_LIMITED, {}),
    # --- RegistryDNSFailure -------------------------------------------------------------
    ("containerd-dns",
     'Failed to pull image "registry.internal/team/app:1": rpc error: code = Unknown desc = failed to pull and '
     'unpack image "registry.internal/team/app:1": failed to resolve reference "registry.internal/team/app:1": '
     'failed to do request: Head "https://registry.internal/v2/team/app/manifests/1": dial tcp: lookup '
     'registry.internal on 10.96.0.10:53: no such host',
     pe.REGISTRY_DNS_FAILURE, {"host": "registry.internal"}),
    ("docker-dns-combined-event",
     '(combined from similar events): Failed to pull image "registry.example.com/payments/notifier:1.0.7": Error '
     'response from daemon: Get "https://registry.example.com/v2/": dial tcp: lookup registry.example.com on '
     '10.96.0.10:53: no such host',
     pe.REGISTRY_DNS_FAILURE, {"image": "registry.example.com/payments/notifier:1.0.7"}),
    ("crio-dns-ping",
     'rpc error: code = Unknown desc = error pinging docker registry k8s.gcr.io: Get "https://k8s.gcr.io/v2/": '
     'dial tcp: lookup k8s.gcr.io: device or resource busy',
     pe.REGISTRY_DNS_FAILURE, {}),
    ("dns-server-timeout",
     'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io '
     'on 192.168.1.1:53: read udp 192.168.1.10:41234->192.168.1.1:53: i/o timeout',
     pe.REGISTRY_DNS_FAILURE, {"host": "registry-1.docker.io"}),
    # --- RegistryUnreachable ------------------------------------------------------------
    ("containerd-io-timeout",
     'failed to do request: Head "https://registry.example.com/v2/app/manifests/1": dial tcp 10.1.2.3:443: '
     'i/o timeout',
     pe.REGISTRY_UNREACHABLE, {"host": "registry.example.com"}),
    ("connection-refused",
     'rpc error: code = Unknown desc = failed to pull and unpack image "10.0.0.5:5000/app:1": failed to resolve '
     'reference "10.0.0.5:5000/app:1": failed to do request: Head "https://10.0.0.5:5000/v2/app/manifests/1": '
     'dial tcp 10.0.0.5:5000: connect: connection refused',
     pe.REGISTRY_UNREACHABLE, {"host": "10.0.0.5:5000"}),
    ("docker-client-timeout",
     'rpc error: code = Unknown desc = Error response from daemon: Get "https://registry-1.docker.io/v2/": '
     'net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
     pe.REGISTRY_UNREACHABLE, {}),
    ("deadline-exceeded",
     'Failed to pull image "huge/image:1": rpc error: code = DeadlineExceeded desc = context deadline exceeded',
     pe.REGISTRY_UNREACHABLE, {"grpcCode": "DeadlineExceeded"}),
    ("tls-handshake-timeout",
     'Error response from daemon: Get "https://registry.example.com/v2/": net/http: TLS handshake timeout',
     pe.REGISTRY_UNREACHABLE, {}),
    ("proxyconnect",
     'failed to do request: Head "https://ghcr.io/v2/a/b/manifests/1": proxyconnect tcp: dial tcp '
     '10.0.0.1:3128: connect: connection refused',
     pe.REGISTRY_UNREACHABLE, {}),
    ("crio-token-eof",
     'rpc error: code = Unknown desc = Error determining manifest MIME type for docker://busybox:1.26.2-uclibc: '
     'Get https://auth.docker.io/token?scope=repository%3Alibrary%2Fbusybox%3Apull&service=registry.docker.io: EOF',
     pe.REGISTRY_UNREACHABLE, {"host": "auth.docker.io"}),
    ("kubelet-registry-unavailable",
     'image pull failed for registry.example.com/app:1 because the registry is unavailable',
     pe.REGISTRY_UNREACHABLE, {"host": "registry.example.com"}),
    ("waiting-registry-unavailable-with-detail",
     'Back-off pulling image "registry.example.com/app:1": RegistryUnavailable: image pull failed for '
     'registry.example.com/app:1 because the registry is unavailable: dial tcp: lookup registry.example.com: '
     'no such host',
     pe.REGISTRY_DNS_FAILURE, {"kubeletError": "RegistryUnavailable"}),
    # --- RegistryTLSError ---------------------------------------------------------------
    ("containerd-unknown-authority",
     'failed to resolve reference "harbor.corp/app/api:1": failed to do request: Head '
     '"https://harbor.corp/v2/app/api/manifests/1": tls: failed to verify certificate: x509: certificate signed '
     'by unknown authority',
     pe.REGISTRY_TLS_ERROR, {"tlsProblem": "unknown-authority", "host": "harbor.corp"}),
    ("docker-http-to-https",
     'Error response from daemon: Get https://192.168.1.20:5000/v2/: http: server gave HTTP response to HTTPS client',
     pe.REGISTRY_TLS_ERROR, {"tlsProblem": "plain-http-registry", "host": "192.168.1.20:5000"}),
    ("cert-expired",
     'Error response from daemon: Get "https://registry.example.com/v2/": x509: certificate has expired or is '
     'not yet valid: current time 2026-01-02T03:04:05Z is after 2025-12-31T00:00:00Z',
     pe.REGISTRY_TLS_ERROR, {"tlsProblem": "certificate-expired"}),
    ("cert-wrong-name",
     'Get "https://10.0.0.9/v2/": x509: certificate is valid for registry.example.com, not 10.0.0.9',
     pe.REGISTRY_TLS_ERROR, {"tlsProblem": "hostname-mismatch"}),
    # --- RegistryServerError ------------------------------------------------------------
    ("containerd-503",
     'failed to resolve reference "docker.io/library/nginx:1": unexpected status from HEAD request to '
     'https://registry-1.docker.io/v2/library/nginx/manifests/1: 503 Service Unavailable',
     pe.REGISTRY_SERVER_ERROR, {"httpStatus": 503}),
    ("docker-500",
     'Failed to pull image "x.azurecr.io/a:1": [rpc error: code = Unknown desc = Error response from daemon: '
     'Get https://x.azurecr.io/v2/a/manifests/1: received unexpected HTTP status: 500 Internal Server Error]',
     pe.REGISTRY_SERVER_ERROR, {"httpStatus": 500}),
    ("html-502",
     'Error response from daemon: error parsing HTTP 502 response body: invalid character \'<\' looking for '
     'beginning of value: "<html><body>Bad Gateway</body></html>"',
     pe.REGISTRY_SERVER_ERROR, {"httpStatus": 502}),
    # --- PlatformMismatch ---------------------------------------------------------------
    ("containerd-no-platform",
     'Failed to pull image "foundationdb/operator:v2.6.0": rpc error: code = NotFound desc = failed to pull and '
     'unpack image "docker.io/foundationdb/operator:v2.6.0": no match for platform in manifest: not found',
     pe.PLATFORM_MISMATCH, {}),
    ("docker-no-matching-manifest",
     'rpc error: code = Unknown desc = no matching manifest for linux/arm/v7 in the manifest list entries',
     pe.PLATFORM_MISMATCH, {"wantedPlatform": "linux/arm/v7"}),
    ("crio-no-image-for-arch",
     'rpc error: code = Unknown desc = choosing an image from manifest list docker://quay.io/a/b:1: no image '
     'found in manifest list for architecture "arm64", variant "v8", OS "linux"',
     pe.PLATFORM_MISMATCH, {"wantedPlatform": "linux/arm64/v8"}),
    ("docker-windows-image",
     'rpc error: code = Unknown desc = Error response from daemon: image operating system "windows" cannot be '
     'used on this platform',
     pe.PLATFORM_MISMATCH, {}),
    # --- NodeDiskFull -------------------------------------------------------------------
    ("containerd-enospc",
     'Failed to pull image "big/model:1": rpc error: code = Unknown desc = failed to pull and unpack image '
     '"docker.io/big/model:1": failed to extract layer sha256:0123: write /var/lib/containerd/io.containerd.'
     'snapshotter.v1.overlayfs/snapshots/77/fs/model.bin: no space left on device: unknown',
     pe.NODE_DISK_FULL, {}),
    ("docker-register-layer-enospc",
     'rpc error: code = Unknown desc = failed to register layer: Error processing tar file(exit status 1): '
     'write /usr/lib/x.so: no space left on device',
     pe.NODE_DISK_FULL, {}),
    # --- InvalidImageName / ImageNeverPulled / Signature ---------------------------------
    ("kubelet-invalid-uppercase",
     'Failed to apply default image tag "ACTOKEY": couldn\'t parse image name "ACTOKEY": invalid reference '
     'format: repository name (library/ACTOKEY) must be lowercase',
     pe.INVALID_IMAGE_NAME, {}),
    ("kubelet-invalid-scheme",
     'Failed to apply default image tag "ko://github.com/x/y": couldn\'t parse image name: invalid reference format',
     pe.INVALID_IMAGE_NAME, {}),
    ("never-pull",
     'Container image "local/app:dev" is not present with pull policy of Never',
     pe.IMAGE_NEVER_PULLED, {}),
    ("crio-signature",
     'Failed to pull image "quay.io/crio/unsigned": rpc error: code = Unknown desc = SignatureValidationFailed: '
     'Source image rejected: A signature was required, but no signature exists',
     pe.SIGNATURE_VALIDATION_FAILED, {}),
    ("kubelet-signature-waiting",
     'Back-off pulling image "quay.io/crio/unsigned": SignatureValidationFailed: image pull failed for '
     'quay.io/crio/unsigned because the signature validation failed: Source image rejected: A signature was '
     'required, but no signature exists',
     pe.SIGNATURE_VALIDATION_FAILED, {}),
    # --- LayerDownloadFailed: the registry redirected the layer download, and that failed ---
    ("containerd-r2-windows-timeout",
     'Failed to pull image "ubuntu:24.04": failed to pull and unpack image "docker.io/library/ubuntu:24.04": '
     'failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://docker-images-prod.'
     '6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com/registry-v2/docker/registry/v2/blobs/sha256/6d/'
     '6d79abd4c962/data?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=1200": dial tcp [2606:4700:2ff9::1]:443: '
     'connectex: A connection attempt failed because the connected party did not properly respond after a period '
     'of time, or established connection failed because connected host has failed to respond.',
     pe.LAYER_DOWNLOAD_FAILED, {"failure": "timeout", "storage": "Cloudflare R2 storage",
                                "layerHost": "docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com"}),
    ("docker-ecr-s3-timeout",
     f'Failed to pull image "{ECR}/my/app:1": rpc error: code = Unknown desc = error pulling image configuration: '
     'Get https://prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com/9a42-123456789012-1b2c/'
     'e8a2-4b1f?X-Amz-Expires=3600: dial tcp: i/o timeout',
     pe.LAYER_DOWNLOAD_FAILED, {"failure": "timeout", "storage": "Amazon S3"}),
    ("ghcr-blob-storage-tls",
     'Failed to pull image "ghcr.io/acme/app:1": failed to copy: httpReadSeeker: failed open: failed to do request: '
     'Get "https://pkg-containers.githubusercontent.com/ghcr1/blobs/sha256:0d29?se=2023-03-24T21%3A05%3A00Z&sp=r": '
     'x509: certificate is valid for *.githubassets.com, githubassets.com, not pkg-containers.githubusercontent.com',
     pe.LAYER_DOWNLOAD_FAILED, {"failure": "tls", "storage": "GitHub's package storage"}),
    ("docker-signed-url-expired",
     'rpc error: code = Unknown desc = error pulling image configuration: error parsing HTTP 403 response body: '
     'invalid character \'<\' looking for beginning of value: "<?xml version=\\"1.0\\" encoding=\\"UTF-8\\"?>'
     '\\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"',
     pe.LAYER_DOWNLOAD_FAILED, {"failure": "expired-url"}),
    ("registry-itself-is-not-layer-storage",
     'failed to resolve reference "ghcr.io/a/b:1": failed to do request: Head "https://ghcr.io/v2/a/b/manifests/1": '
     'dial tcp 140.82.113.34:443: i/o timeout',
     pe.REGISTRY_UNREACHABLE, {"host": "ghcr.io"}),
    # --- Windows nodes' network wording ----------------------------------------------------
    ("windows-connection-forcibly-closed",
     'Failed to pull image "mcr.microsoft.com/windows/servercore:ltsc2022": rpc error: code = Unknown desc = '
     'failed to pull and unpack image "mcr.microsoft.com/windows/servercore:ltsc2022": failed to resolve reference '
     '"mcr.microsoft.com/windows/servercore:ltsc2022": failed to do request: Head "https://mcr.microsoft.com/v2/'
     'windows/servercore/manifests/ltsc2022": read tcp 10.240.0.4:49858->204.79.197.219:443: wsarecv: An existing '
     'connection was forcibly closed by the remote host.',
     pe.REGISTRY_UNREACHABLE, {"host": "mcr.microsoft.com"}),
    ("windows-no-such-host-is-known",
     'failed to resolve reference "mcr.microsoft.com/oss/kubernetes/pause:3.9": failed to do request: Head '
     '"https://mcr.microsoft.com/v2/oss/kubernetes/pause/manifests/3.9": dial tcp: lookup mcr.microsoft.com: '
     'No such host is known.',
     pe.REGISTRY_DNS_FAILURE, {"host": "mcr.microsoft.com"}),
    # --- kubelet 1.x dockertools wrapper and Docker 1.x v1 wording -------------------------
    ("dockertools-wrapper-details",
     'Failed to pull image "registry.access.redhat.com/rhel7/pod-infrastructure:latest": image pull failed for '
     'registry.access.redhat.com/rhel7/pod-infrastructure:latest, this may be because there are no credentials on '
     'this request.  details: (open /etc/docker/certs.d/registry.access.redhat.com/redhat-ca.crt: no such file or '
     'directory)',
     pe.REGISTRY_TLS_ERROR, {"runtime": "docker"}),
    ("dockertools-wrapper-without-details",
     'Failed to pull image "gcr.io/google_containers/heapster-grafana:v4.0.2": image pull failed for '
     'gcr.io/google_containers/heapster-grafana:v4.0.2, this may be because there are no credentials on this request',
     None, {}),
    ("docker-v1-status-403",
     'Failed to pull image "gcr.io/acme-prod/upload": Error: Status 403 trying to pull repository acme-prod/upload: '
     '"Unable to access the repository: acme-prod/upload; please verify that it exists and you have permission to '
     'access it."',
     pe.REGISTRY_AUTH_REQUIRED, {}),
    ("docker-v1-tag-not-found",
     'Failed to pull image "kubernetes/heapster:v0.16.0": Tag v0.16.0 not found in repository kubernetes/heapster',
     pe.IMAGE_NOT_FOUND, {"missing": "tag"}),
    ("ghcr-bare-denied",
     'Failed to pull image "ghcr.io/muchobien/pocketbase:latest": rpc error: code = Unknown desc = Error response '
     'from daemon: Head "https://ghcr.io/v2/muchobien/pocketbase/manifests/latest": denied: denied',
     pe.REGISTRY_AUTH_REQUIRED, {"host": "ghcr.io"}),
    # --- PullFailed ---------------------------------------------------------------------
    ("containerd-missing-blob",
     'failed to pull and unpack image "x.azurecr.io/a:1": failed to copy: httpReadSeeker: failed open: could not '
     'fetch content descriptor sha256:732c (application/vnd.docker.image.rootfs.diff.tar.gzip) from remote: '
     'not found',
     pe.PULL_FAILED, {}),
    ("kubelet-malformed-pull-secret",
     'Failed to pull image "registry.example.com/payments/invoicing:2.0.0": illegal base64 data at input byte 35',
     pe.PULL_FAILED, {}),
    ("kubelet-inspect-failed",
     'Failed to inspect image "nginx:1.25": rpc error: code = Unknown desc = get image: open '
     '/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db: input/output error',
     pe.PULL_FAILED, {}),
    ("unknown-runtime-words",
     'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/a/b:1": failed to unpack '
     'image on snapshotter overlayfs: mismatched image rootfs and manifest layers',
     pe.PULL_FAILED, {}),
]


CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "pull_messages.yaml").read_text())["messages"]


@pytest.mark.parametrize("message,cause,detail", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_classifies_real_message_shapes(message, cause, detail):
    result = classify_pull_error(message)
    assert result.cause == cause, as_document(result)
    if cause is None:  # the wrapper says nothing by itself: no cause is made up
        return
    for key, value in detail.items():
        assert result.detail.get(key) == value, (key, result.detail)
    assert result.raw == message


def test_every_cause_code_has_a_case():
    covered = {c[2] for c in CASES}
    assert set(pe.PULL_CAUSES) - covered == set()


def test_every_pattern_is_exercised():
    used = {classify_pull_error(message).pattern for message in [c[1] for c in CASES] + [e["message"] for e in CORPUS]}
    assert {p.name for p in PATTERNS} - used == set()


@pytest.mark.parametrize("entry", CORPUS, ids=[f"{i}-{e['runtime']}-{e['registry']}-{e['cause']}"
                                               for i, e in enumerate(CORPUS)])
def test_classifies_the_corpus_of_real_messages(entry):
    result = classify_pull_error(entry["message"], has_pull_secrets=entry.get("pull_secrets"))
    # A message that names no cause is diagnosed PullFailed (with the runtime's words, cause unknown).
    assert (result.cause or pe.PULL_FAILED) == entry["cause"], as_document(result)
    alternatives = list(result.ambiguity.alternatives) if result.ambiguity else []
    assert alternatives == (entry.get("alternatives") or [])
    if entry.get("detail"):
        assert result.detail.get("missing") == entry["detail"]
    elif result.ambiguity is None:
        assert result.detail.get("missing") is None  # the message does not say which part is missing


def test_the_corpus_covers_every_runtime_and_pull_cause():
    assert {e["runtime"] for e in CORPUS} == {"containerd", "cri-o", "docker"}
    assert set(pe.PULL_CAUSES) <= {e["cause"] for e in CORPUS} | {pe.IMAGE_NEVER_PULLED, pe.INVALID_IMAGE_NAME}


@pytest.mark.parametrize("message,evidence", [
    ('Failed to pull image "nginx:1.99": rpc error: code = NotFound desc = failed to pull and unpack image '
     '"docker.io/library/nginx:1.99": failed to resolve reference "docker.io/library/nginx:1.99": '
     'docker.io/library/nginx:1.99: not found', "docker.io/library/nginx:1.99: not found"),
    ('rpc error: code = Unknown desc = Error response from daemon: manifest for a/b:1 not found: manifest unknown: '
     'manifest unknown', "manifest for a/b:1 not found: manifest unknown: manifest unknown"),
    ('rpc error: code = Unknown desc = initializing source docker://quay.io/a/b:v9: reading manifest v9 in '
     'quay.io/a/b: manifest unknown', "reading manifest v9 in quay.io/a/b: manifest unknown"),
    ('Back-off pulling image "x": ErrImagePull: failed to pull and unpack image "docker.io/library/x:latest": '
     'failed to resolve reference "docker.io/library/x:latest": pull access denied, repository does not exist '
     'or may require authorization: server message: insufficient_scope: authorization failed',
     "pull access denied, repository does not exist or may require authorization: server message: "
     "insufficient_scope: authorization failed"),
])
def test_evidence_is_the_registry_words_without_wrappers(message, evidence):
    assert classify_pull_error(message).evidence == evidence


@pytest.mark.parametrize("message", [
    'Back-off pulling image "nginx:1.99"',
    "Error: ErrImagePull",
    "Error: ImagePullBackOff",
    "",
    None,
    42,
])
def test_messages_without_a_cause_say_so(message):
    result = classify_pull_error(message)
    assert result.cause is None
    assert result.evidence == ""
    assert "no cause" in result.detail["note"]


DOCKERHUB_DENIED = (
    'Failed to pull image "acme/private-api:1": failed to pull and unpack image "docker.io/acme/private-api:1": '
    'failed to resolve reference "docker.io/acme/private-api:1": pull access denied, repository does not exist '
    'or may require authorization: server message: insufficient_scope: authorization failed'
)


def test_dockerhub_denial_without_pull_secrets_reads_as_not_found_and_says_it_is_ambiguous():
    result = classify_pull_error(DOCKERHUB_DENIED, has_pull_secrets=False)
    assert result.cause == pe.IMAGE_NOT_FOUND
    assert result.ambiguity is not None
    assert result.ambiguity.alternatives == (pe.REGISTRY_AUTH_REQUIRED,)
    assert "`kubectl pullmedic why` with `--probe`" in result.ambiguity.tell_apart
    assert "docker pull docker.io/acme/private-api:1" in result.ambiguity.tell_apart


def test_dockerhub_denial_with_pull_secrets_names_access_as_the_alternative():
    result = classify_pull_error(DOCKERHUB_DENIED, has_pull_secrets=True)
    assert result.cause == pe.IMAGE_NOT_FOUND
    assert result.ambiguity.alternatives == (pe.REGISTRY_ACCESS_DENIED,)


def test_private_registry_denial_without_secrets_reads_as_auth_required():
    message = DOCKERHUB_DENIED.replace("docker.io/acme", "harbor.corp/acme").replace('"acme/', '"harbor.corp/acme/')
    result = classify_pull_error(message, has_pull_secrets=False)
    assert result.cause == pe.REGISTRY_AUTH_REQUIRED
    assert result.ambiguity.alternatives == (pe.IMAGE_NOT_FOUND,)


def test_official_image_denial_is_not_ambiguous():
    message = DOCKERHUB_DENIED.replace("acme/private-api", "library/ngnix")
    result = classify_pull_error(message, image=parse_image("ngnix:1"))
    assert result.cause == pe.IMAGE_NOT_FOUND
    assert result.ambiguity is None


def test_quay_unauthorized_is_the_same_ambiguity():
    message = ('initializing source docker://quay.io/goharbor/harbor-db:v2.12.0: reading manifest v2.12.0 in '
               'quay.io/goharbor/harbor-db: unauthorized: access to the requested resource is not authorized')
    result = classify_pull_error(message, has_pull_secrets=False)
    assert result.cause == pe.REGISTRY_AUTH_REQUIRED
    assert result.ambiguity is not None


def test_ghcr_anonymous_token_refusal_is_ambiguous_but_acr_is_not():
    ghcr = ('failed to resolve reference "ghcr.io/acme/embedder:0.3.1": failed to authorize: failed to fetch anonymous '
            'token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fembedder'
            '%3Apull&service=ghcr.io: 403 Forbidden')
    result = classify_pull_error(ghcr)
    assert result.cause == pe.REGISTRY_AUTH_REQUIRED
    assert result.ambiguity.alternatives == (pe.IMAGE_NOT_FOUND,)
    acr = ghcr.replace("ghcr.io/acme/embedder", "myacr.azurecr.io/acme/embedder")
    assert classify_pull_error(acr).ambiguity is None


@pytest.mark.parametrize("has_secrets,cause", [(False, pe.REGISTRY_AUTH_REQUIRED), (True, pe.REGISTRY_ACCESS_DENIED)])
def test_harbor_unauthorized_depends_on_whether_credentials_were_sent(has_secrets, cause):
    message = ('rpc error: code = Unknown desc = Error response from daemon: unauthorized: unauthorized to access '
               'repository: team/app, action: pull: unauthorized to access repository: team/app, action: pull')
    assert classify_pull_error(message, has_pull_secrets=has_secrets).cause == cause


def test_aggregate_of_attempts_picks_the_most_specific_cause():
    message = (
        'Failed to pull image "myacr.azurecr.io/a:1": [rpc error: code = Unknown desc = failed to pull and unpack '
        'image "myacr.azurecr.io/a:1": failed to resolve reference "myacr.azurecr.io/a:1": failed to authorize: '
        'failed to fetch oauth token: unexpected status from GET request to https://myacr.azurecr.io/oauth2/token'
        '?scope=repository%3Aa%3Apull&service=myacr.azurecr.io: 401 Unauthorized, rpc error: code = NotFound '
        'desc = failed to pull and unpack image "myacr.azurecr.io/a:1": failed to resolve reference '
        '"myacr.azurecr.io/a:1": myacr.azurecr.io/a:1: not found]'
    )
    result = classify_pull_error(message)
    assert result.cause == pe.IMAGE_NOT_FOUND
    assert [a["cause"] for a in result.detail["attempts"]] == [pe.REGISTRY_AUTH_REQUIRED, pe.IMAGE_NOT_FOUND]


def test_grpc_not_found_is_a_fallback_for_unknown_wording():
    result = classify_pull_error("rpc error: code = NotFound desc = something the runtime never said before")
    assert result.cause == pe.IMAGE_NOT_FOUND
    assert result.pattern is None


def test_image_argument_fills_host_and_missing_part():
    result = classify_pull_error("manifest unknown", image=parse_image("ghcr.io/a/b:v1"))
    assert result.detail["host"] == "ghcr.io"
    assert result.detail["missing"] == "tag"


def test_to_dict_is_json_ready():
    import json

    result = classify_pull_error(DOCKERHUB_DENIED, has_pull_secrets=False)
    data = json.loads(json.dumps(as_document(result)))
    assert data["cause"] == pe.IMAGE_NOT_FOUND
    assert data["ambiguity"]["alternatives"] == [pe.REGISTRY_AUTH_REQUIRED]


def test_patterns_document_their_wording():
    assert all(p.wording for p in PATTERNS)
    assert len({p.name for p in PATTERNS}) == len(PATTERNS)

