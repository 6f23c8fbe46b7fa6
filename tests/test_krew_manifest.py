"""plugin.yaml, the krew-index template and the release archive against every rule Krew applies.

The rules live in krew-manifest/krew_rules.py (used by the build too); the negative cases
below show that each of them actually catches the defect it is about.
"""

from __future__ import annotations

import copy
import doctest
import gzip
import io
import re
import shutil
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from krew_release import ROOT, build, fresh_release
import krew_install
import krew_rules
import release_archive
import release_bundle
import release_manifest
from kubectl_pullmedic import __version__

TAG = f"v{__version__}"
Doc = Dict[str, Any]


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return fresh_release(tmp_path_factory)


@pytest.fixture(scope="session")
def members(release: Any) -> Dict[str, tarfile.TarInfo]:
    with tarfile.open(release.archive) as archive:
        return {member.name: member for member in archive.getmembers()}


def committed_plugin() -> Doc:
    return yaml.safe_load((ROOT / "plugin.yaml").read_text())


def bot_rendering(template: str, tag: str, sha256: str) -> str:
    """What krew-release-bot makes of the template for a release."""
    text = re.sub(
        r'\{\{addURIAndSha "([^"]+)" \.TagName \}\}',
        lambda m: f"uri: {m.group(1)}\n    sha256: {sha256}",
        template,
    )
    return text.replace("{{ .TagName }}", tag)


# -- the committed manifests ----------------------------------------------------------------


def test_committed_plugin_yaml_satisfies_every_krew_rule() -> None:
    assert krew_rules.validate_plugin(committed_plugin(), "pullmedic") == []


def test_committed_plugin_yaml_is_the_rendering_for_the_package_version() -> None:
    document = committed_plugin()
    spec = document["spec"]
    assert spec["version"] == TAG
    assert spec["platforms"][0]["uri"].endswith(f"/releases/download/{TAG}/kubectl-pullmedic-{TAG}.tar.gz")
    # Everything but the archive's sha256 comes from release_manifest.py.
    rendered = release_manifest.render_plugin_manifest(__version__, spec["platforms"][0]["sha256"])
    assert (ROOT / "plugin.yaml").read_text() == rendered


def test_committed_manifests_describe_the_archive_this_tree_builds(release: Any) -> None:
    """plugin.yaml is the manifest of the current release: its sha256 is this tree's archive's,
    so ``kubectl krew install --manifest=plugin.yaml --archive=...`` works at every commit."""
    stale = [str(path.relative_to(ROOT)) for path in build.stale_files(release)]
    assert stale == [], f"stale {stale}: run python krew-manifest/build.py and commit the result"
    assert committed_plugin()["spec"]["platforms"][0]["sha256"] == release.sha256


def test_committed_index_template_is_current_and_valid_once_the_bot_fills_it() -> None:
    template_path = ROOT / "krew-manifest" / "pullmedic.yaml"
    assert template_path.read_text() == release_manifest.render_index_template()
    filled = yaml.safe_load(bot_rendering(template_path.read_text(), "v9.8.7", "ab" * 32))
    assert krew_rules.validate_plugin(filled, template_path.stem) == []
    assert filled["spec"]["version"] == "v9.8.7"
    assert filled["spec"]["platforms"][0]["uri"].endswith("/v9.8.7/kubectl-pullmedic-v9.8.7.tar.gz")


def test_descriptions_read_well() -> None:
    spec = committed_plugin()["spec"]
    assert len(spec["shortDescription"]) <= 50  # `kubectl krew search` cuts it there
    assert "* python3 (3.9 or newer)" in spec["caveats"].splitlines()
    assert "ln -sf kubectl-pullmedic kubectl_complete-pullmedic" in spec["caveats"]
    assert krew_rules.matched_platforms(spec["platforms"][0]["selector"]) == [
        ("linux", "386"), ("linux", "amd64"), ("linux", "arm"), ("linux", "arm64"), ("linux", "ppc64le"),
        ("darwin", "386"), ("darwin", "amd64"), ("darwin", "arm64"),
    ]


# -- each rule catches its defect ---------------------------------------------------------------


def _platform(document: Doc) -> Doc:
    return document["spec"]["platforms"][0]


# defect -> (how to break the manifest, words of the problem it must raise)
BROKEN: Dict[str, Tuple[Callable[[Doc], Any], str]] = {
    "apiVersion": (lambda d: d.update(apiVersion="krew.googlecontainertools.github.com/v1alpha1"), "apiVersion must be"),
    "kind": (lambda d: d.update(kind="Plugins"), "kind must be"),
    "name pattern": (lambda d: d["metadata"].update(name="pull/medic"), "plugin name 'pull/medic' is not allowed"),
    "reserved name": (lambda d: d["metadata"].update(name="nul"), "plugin name 'nul' is not allowed"),
    "empty shortDescription": (lambda d: d["spec"].update(shortDescription=" "), "shortDescription must not be empty"),
    "multi-line shortDescription": (lambda d: d["spec"].update(shortDescription="one\ntwo"), "single line"),
    "version without v": (lambda d: d["spec"].update(version=__version__), "not a v-prefixed semantic version"),
    "version not semver": (lambda d: d["spec"].update(version="v1.2"), "not a v-prefixed semantic version"),
    "version with leading zero": (lambda d: d["spec"].update(version="v1.02.0"), "not a v-prefixed semantic version"),
    "no platforms": (lambda d: d["spec"].update(platforms=[]), "at least one platform"),
    "empty selector": (lambda d: _platform(d).update(selector={}), "selector must not be empty"),
    "empty matchLabels": (
        lambda d: _platform(d)["selector"].update(matchLabels={}), "matchLabels is specified but empty"
    ),
    "unsupported selector key": (
        lambda d: _platform(d)["selector"]["matchExpressions"].append({"key": "distro", "operator": "Exists"}),
        "selector key 'distro' is not supported",
    ),
    "selector matching nothing": (
        lambda d: _platform(d).update(selector={"matchLabels": {"os": "plan9"}}), "matches no platform"
    ),
    "missing uri": (lambda d: _platform(d).pop("uri"), "uri must be set"),
    "uppercase sha256": (lambda d: _platform(d).update(sha256="AB" * 32), "64 lowercase hex digits"),
    "short sha256": (lambda d: _platform(d).update(sha256="ab" * 31), "64 lowercase hex digits"),
    "missing bin": (lambda d: _platform(d).pop("bin"), "bin '' must be"),
    "no files": (lambda d: _platform(d).update(files=[]), "files must list at least one"),
    "file without to": (lambda d: _platform(d)["files"][0].pop("to"), "files[0].to must be set"),
    "file without from": (lambda d: _platform(d)["files"][0].pop("from"), "files[0].from must be set"),
    "unclean to": (lambda d: _platform(d)["files"][0].update(to="./bin/"), "is not a clean relative path"),
    "escaping from": (
        lambda d: _platform(d)["files"][0].update({"from": "../kubectl-pullmedic"}), "is not a clean relative path"
    ),
    "no licence installed": (
        lambda d: _platform(d).update(files=[f for f in _platform(d)["files"] if f["from"] != "LICENSE"]),
        "must install a licence file",
    ),
    "os/arch matched twice": (
        lambda d: d["spec"]["platforms"].append(
            dict(copy.deepcopy(_platform(d)), selector={"matchLabels": {"os": "linux", "arch": "amd64"}})
        ),
        "spec.platforms [0, 1] all select linux/amd64",
    ),
    "misspelt field": (lambda d: d["spec"].update(shortDescripton="typo"), "unknown field spec.shortDescripton"),
    "long description line": (lambda d: d["spec"].update(description="word " * 20), "longer than 80 characters"),
}


@pytest.mark.parametrize("defect", list(BROKEN))
def test_each_krew_rule_rejects_its_defect(defect: str) -> None:
    document = copy.deepcopy(committed_plugin())
    breaks, expected = BROKEN[defect]
    breaks(document)
    problems = krew_rules.validate_plugin(document, document["metadata"]["name"])
    assert any(expected in problem for problem in problems), problems


def test_manifest_named_after_another_plugin_is_rejected() -> None:
    problems = krew_rules.validate_plugin(committed_plugin(), "pull-medic")
    assert problems == ["the manifest file is for 'pull-medic' but names the plugin 'pullmedic'"]


# -- the archive --------------------------------------------------------------------------------


def test_fresh_manifest_satisfies_every_rule_and_names_the_archive(release: Any) -> None:
    document = yaml.safe_load(release.plugin_manifest)
    assert krew_rules.validate_plugin(document, "pullmedic") == []
    assert _platform(document)["sha256"] == release_bundle.sha256_of(release.archive) == release.sha256
    assert release.archive.name == f"kubectl-pullmedic-{TAG}.tar.gz"


def test_archive_top_level_holds_launchers_licence_and_lib(members: Dict[str, tarfile.TarInfo]) -> None:
    top_level = {name.split("/")[0] for name in members}
    assert top_level == {"kubectl-pullmedic", "kubectl_complete-pullmedic", "LICENSE", "lib"}
    for launcher in ("kubectl-pullmedic", "kubectl_complete-pullmedic"):
        assert members[launcher].isreg() and members[launcher].mode == 0o755
    assert members["LICENSE"].isreg() and members["LICENSE"].mode == 0o644


def test_archive_entries_are_normalised(members: Dict[str, tarfile.TarInfo]) -> None:
    assert list(members) == sorted(members, key=lambda name: name.split("/"))
    for member in members.values():
        assert member.isdir() or member.isreg(), member.name
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mtime == release_archive.DEFAULT_EPOCH
        assert member.mode in (0o755, 0o644)
        assert ".." not in member.name and not member.name.startswith("/")


def test_archive_holds_no_compiled_or_cached_files(members: Dict[str, tarfile.TarInfo]) -> None:
    for name in members:
        assert "__pycache__" not in name and not name.endswith(release_bundle.COMPILED_SUFFIXES), name


def test_archive_holds_the_package_as_the_tree_has_it(release: Any, members: Dict[str, tarfile.TarInfo]) -> None:
    package = ROOT / "kubectl_pullmedic"
    modules = [path for path in package.rglob("*.py") if "__pycache__" not in path.parts]
    scenarios = package / "sandbox" / "scenarios"
    data = list(scenarios.glob("*.yaml")) + list(scenarios.glob("incidents/*.yaml"))  # setup.cfg's package_data
    expected = {f"lib/{path.relative_to(ROOT).as_posix()}" for path in modules + data}
    bundled = {name for name in members if name.startswith("lib/kubectl_pullmedic/") and members[name].isreg()}
    assert bundled == expected
    assert "lib/kubectl_pullmedic/cli/completion.py" in bundled
    with tarfile.open(release.archive) as archive:
        shipped = archive.extractfile("lib/kubectl_pullmedic/cli/__init__.py").read()  # type: ignore[union-attr]
    assert shipped == (package / "cli" / "__init__.py").read_bytes()


def test_every_bundled_dependency_is_pure_python_for_3_9_to_3_13(release: Any) -> None:
    with tarfile.open(release.archive) as archive:
        metadata = {
            member.name: Parser().parsestr(archive.extractfile(member).read().decode())  # type: ignore[union-attr]
            for member in archive.getmembers()
            if member.name.endswith(".dist-info/METADATA")
        }
    locked = release_bundle.read_lock()
    assert len(metadata) == len(locked)
    for wheel in locked:
        assert wheel.is_pure or wheel.pure_fallback, wheel.filename
    for name, fields in metadata.items():
        requires = SpecifierSet(fields.get("Requires-Python") or "")
        assert "3.9.0" in requires and "3.13.0" in requires, (name, str(requires))
    names = {fields["Name"].lower().replace("_", "-") for fields in metadata.values()}
    assert {"kubernetes", "click", "tabulate", "pyyaml", "urllib3"} <= names
    assert next(f["Version"] for f in metadata.values() if f["Name"] == "kubernetes").startswith("35.")


def test_pure_fallback_wheel_loses_only_its_compiled_module(release: Any) -> None:
    (wheel,) = [w for w in release_bundle.read_lock() if w.pure_fallback]
    cached = build.DEFAULT_CACHE / wheel.filename
    with zipfile.ZipFile(cached) as original:
        compiled = [n for n in original.namelist() if n.endswith(".so")]
    kept = {entry.path for entry in release_bundle.wheel_entries(cached)}
    assert compiled and not any(path.endswith(".so") for path in kept)
    assert "lib/yaml/__init__.py" in kept and "lib/pyyaml-6.0.3.dist-info/licenses/LICENSE" in kept


def test_building_twice_gives_the_same_sha256(release: Any, tmp_path: Path) -> None:
    again = build.build_release(dist_dir=tmp_path / "dist", environ={})
    assert again.sha256 == release.sha256
    assert again.archive.read_bytes() == release.archive.read_bytes()


def test_build_ignores_file_times_and_location(release: Any, tmp_path: Path) -> None:
    copy_root = tmp_path / "checkout"
    shutil.copytree(  # shutil.copy: new modification times, unlike copytree's default
        ROOT / "kubectl_pullmedic", copy_root / "kubectl_pullmedic",
        ignore=shutil.ignore_patterns("__pycache__"), copy_function=shutil.copy,
    )
    for name in ("LICENSE", "setup.cfg"):
        shutil.copy(ROOT / name, copy_root / name)
    (copy_root / "kubectl_pullmedic" / "__pycache__").mkdir(exist_ok=True)
    (copy_root / "kubectl_pullmedic" / "__pycache__" / "stray.cpython-39.pyc").write_bytes(b"stale")
    (copy_root / "kubectl_pullmedic" / "notes.txt").write_text("not part of the package")
    copied = build.build_release(root=copy_root, dist_dir=tmp_path / "dist", environ={})
    assert copied.sha256 == release.sha256


def test_source_date_epoch_sets_every_timestamp() -> None:
    entries = [release_archive.Entry("b/x.py", b"x"), release_archive.Entry("a", b"run", executable=True)]
    data = release_archive.tar_gz_bytes(entries, release_archive.source_date_epoch({"SOURCE_DATE_EPOCH": "1700000000"}))
    assert data[4:8] == b"\0\0\0\0" and data[3] & 0x08 == 0  # gzip: mtime 0, no file name
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        assert [(m.name, m.mtime, m.mode) for m in archive] == [
            ("a", 1700000000, 0o755), ("b", 1700000000, 0o755), ("b/x.py", 1700000000, 0o644),
        ]
    assert gzip.decompress(data) == gzip.decompress(release_archive.tar_gz_bytes(reversed(entries), 1700000000))


def test_archive_refuses_paths_krew_would_refuse() -> None:
    for path in ("../x", "/abs", "a/./b"):
        with pytest.raises(ValueError):
            release_archive.tar_gz_bytes([release_archive.Entry(path, b"")], 0)


@pytest.mark.slow  # pip downloads the wheel again
def test_a_tampered_cached_wheel_is_fetched_again(tmp_path: Path) -> None:
    (wheel,) = [w for w in release_bundle.read_lock() if w.filename.startswith("durationpy-")]
    (tmp_path / wheel.filename).write_bytes(b"not the wheel the lock names")
    paths = release_bundle.fetch_wheels([wheel], tmp_path)
    assert release_bundle.sha256_of(paths[wheel.filename]) == wheel.sha256
    assert sorted(path.name for path in tmp_path.iterdir()) == [wheel.filename]


def test_lock_refuses_a_binary_wheel_without_fallback(tmp_path: Path) -> None:
    lock = tmp_path / "bundle.lock"
    lock.write_text("# comment\npkg-1.0-cp39-cp39-manylinux2014_x86_64.whl " + "a" * 64 + "\n")
    with pytest.raises(ValueError, match="not pure Python"):
        release_bundle.read_lock(lock)


@pytest.mark.parametrize("module", [krew_rules, release_archive, release_bundle, release_manifest, krew_install])
def test_doctests(module: Any) -> None:
    assert doctest.testmod(module).failed == 0
