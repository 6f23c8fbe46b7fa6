"""Build the Krew release: the reproducible archive, plugin.yaml and the krew-index template.

    python krew-manifest/build.py            # dist/kubectl-pullmedic-vX.Y.Z.tar.gz, plugin.yaml,
                                             # krew-manifest/pullmedic.yaml
    python krew-manifest/build.py --check    # exit 1 if the committed manifests are stale

The archive holds, at its top level, the launcher (also as kubectl_complete-pullmedic), the
LICENSE and lib/ (the package and the wheels pinned in bundle.lock). Wheels are downloaded
once into --cache (default: a folder in the system's temporary directory) and checked by
sha256 on every build. Building the same tree twice gives the same sha256.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional, Sequence

import yaml

import krew_rules
import release_manifest
from release_archive import Entry, source_date_epoch, write_archive
from release_bundle import fetch_wheels, package_entries, read_lock, wheel_entries

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PACKAGE = "kubectl_pullmedic"
LAUNCHER_SOURCE = HERE / release_manifest.LAUNCHER
PLUGIN_MANIFEST = ROOT / "plugin.yaml"
INDEX_TEMPLATE = HERE / f"{release_manifest.PLUGIN_NAME}.yaml"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "kubectl-pullmedic-wheels"


@dataclass(frozen=True)
class Release:
    """A built archive and the manifests rendered for it."""

    version: str
    archive: Path
    sha256: str
    plugin_manifest: str
    index_template: str


def package_version(root: Path = ROOT) -> str:
    """``__version__`` from the package, read as text so that building imports nothing of it."""
    source = (root / PACKAGE / "__init__.py").read_text()
    match = re.search(r'^__version__ = "([^"]+)"', source, re.MULTILINE)
    if not match:
        raise ValueError(f"no __version__ in {PACKAGE}/__init__.py")
    return match.group(1)


def archive_entries(root: Path, cache_dir: Path) -> List[Entry]:
    launcher = LAUNCHER_SOURCE.read_bytes()
    entries = [
        Entry(release_manifest.LAUNCHER, launcher, executable=True),
        Entry(release_manifest.COMPLETION_LAUNCHER, launcher, executable=True),
        Entry(release_manifest.LICENSE_FILE, (root / release_manifest.LICENSE_FILE).read_bytes()),
    ]
    entries += package_entries(root / PACKAGE)
    wheels = read_lock()
    paths = fetch_wheels(wheels, cache_dir)
    for wheel in wheels:
        entries += wheel_entries(paths[wheel.filename])
    return entries


def build_release(
    root: Path = ROOT, dist_dir: Optional[Path] = None, cache_dir: Path = DEFAULT_CACHE,
    environ: Mapping[str, str] = os.environ,
) -> Release:
    """Write the archive into ``dist_dir`` and render both manifests (not written here)."""
    version = package_version(root)
    tag = f"v{version}"
    archive = (dist_dir or root / "dist") / release_manifest.archive_name(tag)
    sha256 = write_archive(archive_entries(root, cache_dir), archive, source_date_epoch(environ))
    plugin_manifest = release_manifest.render_plugin_manifest(version, sha256)
    problems = krew_rules.validate_plugin(yaml.safe_load(plugin_manifest), release_manifest.PLUGIN_NAME)
    if problems:
        raise ValueError("the rendered plugin.yaml breaks Krew's rules:\n  " + "\n  ".join(problems))
    return Release(version, archive, sha256, plugin_manifest, release_manifest.render_index_template())


def stale_files(release: Release) -> List[Path]:
    """Committed manifests that differ from what this tree builds."""
    wanted = {PLUGIN_MANIFEST: release.plugin_manifest, INDEX_TEMPLATE: release.index_template}
    return [path for path, text in wanted.items() if not path.is_file() or path.read_text() != text]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where to write the archive")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where downloaded wheels are kept")
    parser.add_argument(
        "--check", action="store_true", help="only report whether plugin.yaml and the template are up to date"
    )
    options = parser.parse_args(argv)
    release = build_release(dist_dir=options.dist, cache_dir=options.cache)
    print(f"{release.archive}\nsha256 {release.sha256}")
    stale = stale_files(release)
    if options.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run python krew-manifest/build.py)", file=sys.stderr)
        return 1 if stale else 0
    PLUGIN_MANIFEST.write_text(release.plugin_manifest)
    INDEX_TEMPLATE.write_text(release.index_template)
    for path in stale:
        print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
