"""What a registry said about one image: the probe's answer, as data the views can show.

Made by ``registry.probe`` (the I/O), read by ``render``; it lives in the core so that no view
imports the code that talks to registries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

NETWORK_NOTE = (
    "probed from this machine, whose network, DNS, proxy and firewall are not the node's: "
    "what reaches the registry here may not reach it from the node, and the reverse"
)


@dataclass
class ProbeResult:
    """What the registry said about one image; printed through ``core.serialize``."""

    image: str
    registry: str = ""  # the host:port contacted, e.g. registry-1.docker.io
    repository: str = ""
    reference: str = ""  # the tag or digest asked for
    reachable: bool = False
    tls_ok: Optional[bool] = None  # None when TLS was not used (plain HTTP) or not reached
    auth: str = ""  # accepted | refused | anonymous | not-needed | withheld
    manifest_found: Optional[bool] = None
    missing: str = ""  # tag | repository | digest
    suggestions: List[str] = field(default_factory=list)
    platforms: List[str] = field(default_factory=list)  # os/arch[/variant] the image is built for
    wanted_platform: str = ""  # the node's os/arch, when known
    platform_ok: Optional[bool] = None
    proxy: str = ""  # the proxy the probe went through (no user or password), "" for none
    media_type: str = ""
    digest: str = ""
    error: str = ""  # one line; the first problem met
    note: str = NETWORK_NOTE
    context: Optional[str] = None  # the kubeconfig context, when secrets-check read several (core.fleet)

    DOCUMENT_IF_SET = ("context",)

    def fail(self, message: str) -> None:
        if not self.error:
            self.error = message
