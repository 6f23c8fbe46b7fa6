"""The context names of the merged kubeconfig, for ``--all-contexts`` and ``--context`` completion.

Read without the ``kubernetes`` client (completion must stay quick): the same files kubectl
merges (``kubeconfig.kubeconfig_paths``), every ``contexts[].name``.
"""

from __future__ import annotations

from typing import List, Mapping, Optional

from .kubeconfig import kubeconfig_paths


def context_names(flag: Optional[str], environ: Mapping[str, str]) -> List[str]:
    """Every context of the merged kubeconfig, sorted as ``kubectl config get-contexts`` lists them.

    A file that cannot be read or parsed is skipped (connecting to one of its contexts says why).
    """
    import yaml

    names: List[str] = []
    for path in kubeconfig_paths(flag, environ):
        try:
            with open(path, encoding="utf-8") as handle:
                document = yaml.safe_load(handle) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        contexts = document.get("contexts") if isinstance(document, dict) else None
        names += [str(c.get("name")) for c in contexts or [] if isinstance(c, dict) and c.get("name")]
    return sorted(set(names))
