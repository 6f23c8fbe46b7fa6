"""Pull credentials: dockerconfig parsing, the kubelet's keyring matching, what a pod sends,
credential fixes, and the secrets-check findings.
"""
