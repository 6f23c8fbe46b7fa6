"""Talking to container registries for `--probe`: the probe flow (probe) over its HTTP side
(client: pools per route, proxies, TLS). The only layer that talks to registries.
"""
