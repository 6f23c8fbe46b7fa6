"""The one source of truth for the Krew manifests: ``plugin.yaml`` and the krew-index template.

``plugin.yaml`` (repository root) describes the current release with its real sha256, for
``kubectl krew install --manifest=plugin.yaml --archive=dist/...``. ``pullmedic.yaml`` (this
folder) is the same document as a krew-release-bot template: the bot replaces ``{{ .TagName }}``
with the release tag and ``{{addURIAndSha "URL" .TagName }}`` with the asset's uri and sha256,
then opens the krew-index pull request.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Any, Dict

import yaml

import krew_rules



def project_url(setup_cfg: Path = Path(__file__).resolve().parent.parent / "setup.cfg") -> str:
    """``[metadata] url`` of setup.cfg: PyPI and Krew name the same home, set in one place."""
    parser = configparser.ConfigParser()
    parser.read(setup_cfg)
    return parser.get("metadata", "url").strip().rstrip("/")


PLUGIN_NAME = "pullmedic"
HOMEPAGE = project_url()
SHORT_DESCRIPTION = "Explain image pull failures and pod evictions"
DESCRIPTION = """\
Tells why a pod cannot pull its image (ErrImagePull, ImagePullBackOff,
InvalidImageName, ErrImageNeverPull) or why it was evicted, and prints the
commands that fix it. Also lists and safely cleans up evicted pods, and checks
imagePullSecrets against the kubelet's matching rules before a rollout.

  kubectl pullmedic why                  # every failing pod in the namespace
  kubectl pullmedic why web-7d4b9c-x2x5q # one pod, explained in full
  kubectl pullmedic evicted -A
  kubectl pullmedic secrets-check -n payments
"""
SUPPORTED_OS = ("darwin", "linux")
LAUNCHER = "kubectl-pullmedic"
COMPLETION_LAUNCHER = "kubectl_complete-pullmedic"
LIBRARY_DIR = "lib"
LICENSE_FILE = "LICENSE"
TAG_PLACEHOLDER = "{{ .TagName }}"
# Stand-ins while rendering the template: plain YAML scalars that are replaced afterwards.
_TEMPLATE_TAG = "TEMPLATE_TAG"
_TEMPLATE_SHA256 = "0" * 64


def archive_name(tag: str) -> str:
    """The release asset's file name.

    >>> archive_name("v0.1.0")
    'kubectl-pullmedic-v0.1.0.tar.gz'
    """
    return f"{LAUNCHER}-{tag}.tar.gz"


def release_uri(tag: str) -> str:
    return f"{HOMEPAGE}/releases/download/{tag}/{archive_name(tag)}"


def caveats() -> str:
    """Krew prints these after installing; the wording follows the index's usual form.

    The completion helper is linked to the plugin's own link in Krew's bin folder, so it
    survives upgrades: the launcher answers completion requests when run under that name.
    """
    return (
        "This plugin needs the following programs:\n"
        "* python3 (3.9 or newer)\n"
        "\n"
        f"For `kubectl {PLUGIN_NAME} <TAB>` completion (kubectl 1.26+), run once:\n"
        '  cd "${KREW_ROOT:-$HOME/.krew}/bin" &&\n'
        f"    ln -sf {LAUNCHER} {COMPLETION_LAUNCHER}\n"
    )


def plugin_document(tag: str, uri: str, sha256: str) -> Dict[str, Any]:
    """The manifest as data, in the key order krew-index manifests use."""
    return {
        "apiVersion": krew_rules.API_VERSION,
        "kind": krew_rules.KIND,
        "metadata": {"name": PLUGIN_NAME},
        "spec": {
            "version": tag,
            "homepage": HOMEPAGE,
            "shortDescription": SHORT_DESCRIPTION,
            "description": DESCRIPTION,
            "caveats": caveats(),
            "platforms": [
                {
                    "selector": {"matchExpressions": [{"key": "os", "operator": "In", "values": list(SUPPORTED_OS)}]},
                    "uri": uri,
                    "sha256": sha256,
                    "files": [
                        {"from": LAUNCHER, "to": "."},
                        {"from": COMPLETION_LAUNCHER, "to": "."},
                        {"from": LIBRARY_DIR, "to": "."},
                        {"from": LICENSE_FILE, "to": "."},
                    ],
                    "bin": LAUNCHER,
                }
            ],
        },
    }


class _ManifestDumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, so descriptions read as they will be printed."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ManifestDumper.add_representer(str, _represent_text)


def to_yaml(document: Dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_ManifestDumper, sort_keys=False, width=4096, allow_unicode=True)


def render_plugin_manifest(version: str, sha256: str) -> str:
    """plugin.yaml for release ``v{version}`` whose archive has this sha256."""
    tag = f"v{version}"
    return to_yaml(plugin_document(tag, release_uri(tag), sha256))


def render_index_template() -> str:
    """The krew-release-bot template (krew-manifest/pullmedic.yaml)."""
    text = to_yaml(plugin_document(_TEMPLATE_TAG, release_uri(_TEMPLATE_TAG), _TEMPLATE_SHA256))
    uri_and_sha = re.compile(rf"^(?P<indent> +)uri: (?P<uri>\S+)\n(?P=indent)sha256: '?{_TEMPLATE_SHA256}'?\n", re.MULTILINE)
    text, count = uri_and_sha.subn(lambda m: f'{m["indent"]}{{{{addURIAndSha "{m["uri"]}" .TagName }}}}\n', text)
    if count != 1:
        raise ValueError("the template must carry exactly one uri/sha256 pair")
    return text.replace(_TEMPLATE_TAG, TAG_PLACEHOLDER)
