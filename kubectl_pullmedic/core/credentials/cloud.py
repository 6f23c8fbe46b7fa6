"""Cloud registries a node can pull from with its own identity (node IAM, kubelet credential
provider), so a missing pull secret there is a warning with a different fix, not an error.
"""

from __future__ import annotations

from ..pulls.imageref import ACR, ARTIFACT_REGISTRY, ECR, GCR, acr_name, registry_family


def cloud_registry_role(registry: str) -> str:
    """How nodes get pull access to a cloud registry without a secret; "" for other registries.

    >>> cloud_registry_role("europe-west1-docker.pkg.dev")
    'grant the node service account roles/artifactregistry.reader on the repository'
    """
    family = registry_family(registry)
    if family == ECR:
        return (
            "attach the AmazonEC2ContainerRegistryReadOnly policy to the node IAM role "
            "(another account's registry also needs a repository policy allowing it)"
        )
    if family == ACR:
        return (
            "grant the kubelet identity AcrPull: "
            f"az aks update -n CLUSTER -g RESOURCE_GROUP --attach-acr {acr_name(registry)}"
        )
    if family in (GCR, ARTIFACT_REGISTRY):
        return "grant the node service account roles/artifactregistry.reader on the repository"
    return ""
