"""Install the fresh archive the way ``kubectl krew install --manifest --archive`` does, then run
the plugin through the real kubectl against the sandbox, under the oldest and newest Python.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import yaml

from krew_release import env_with_bin, fresh_release, install_release, oldest_and_newest_pythons, plugin_bin
import krew_install
from kubectl_pullmedic import __version__
from kubectl_pullmedic.sandbox import Sandbox

KUBECTL = "kubectl"
# The installs of the fresh release (everything below "the fresh release through the real
# kubectl") are marked slow by conftest.py through the `release` fixture; the installer's
# own checks on small archives above it take milliseconds.


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return fresh_release(tmp_path_factory)


# -- what the installer refuses, as Krew does ----------------------------------------------------


def tar_gz(members: List[Tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in members:
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def regular(name: str, data: bytes = b"#!/bin/sh\n", mode: int = 0o755) -> Tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info, data


def small_release(tmp_path: Path, data: bytes, **platform_changes: Any) -> Tuple[Path, Path]:
    """A manifest in the release's shape for an archive with these bytes."""
    document = yaml.safe_load((Path(__file__).resolve().parent.parent / "plugin.yaml").read_text())
    platform = document["spec"]["platforms"][0]
    platform.update(sha256=hashlib.sha256(data).hexdigest(), files=[{"from": "*", "to": "."}])
    platform.update(platform_changes)
    manifest, archive = tmp_path / "plugin.yaml", tmp_path / "archive.tar.gz"
    manifest.write_text(yaml.safe_dump(document))
    archive.write_bytes(data)
    return manifest, archive


def folder(name: str) -> Tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info, b""


GOOD_MEMBERS = [regular("kubectl-pullmedic"), regular("LICENSE", b"licence", 0o644)]


def test_installer_accepts_a_well_formed_archive_and_links_relatively(tmp_path: Path) -> None:
    manifest, archive = small_release(tmp_path, tar_gz(GOOD_MEMBERS))
    installed = krew_install.install(manifest, archive, tmp_path / "krew")
    assert installed.install_dir == tmp_path / "krew" / "store" / "pullmedic" / f"v{__version__}"
    assert os.readlink(installed.link) == f"../store/pullmedic/v{__version__}/kubectl-pullmedic"
    assert installed.files == ["LICENSE", "kubectl-pullmedic"]
    assert os.access(installed.link, os.X_OK)


@pytest.mark.parametrize(
    "members, refusal",
    [
        ([*GOOD_MEMBERS, regular("../escape")], "suspicious entry"),
        ([*GOOD_MEMBERS, regular("lib/a..b")], "suspicious entry"),
        ([*GOOD_MEMBERS, regular("/etc/evil")], "absolute entry"),
        ([*GOOD_MEMBERS, folder("lib"), regular("lib/x.py", b"", 0o644)], None),
    ],
    ids=["parent", "dots-in-name", "absolute", "folder-is-fine"],
)
def test_installer_refuses_suspicious_entries(tmp_path: Path, members: List[Any], refusal: Any) -> None:
    manifest, archive = small_release(tmp_path, tar_gz(members))
    if refusal is None:
        krew_install.install(manifest, archive, tmp_path / "krew")
        return
    with pytest.raises(krew_install.InstallError, match=refusal):
        krew_install.install(manifest, archive, tmp_path / "krew")


def test_installer_refuses_links_in_the_archive(tmp_path: Path) -> None:
    link = tarfile.TarInfo("shortcut")
    link.type, link.linkname = tarfile.SYMTYPE, "kubectl-pullmedic"
    manifest, archive = small_release(tmp_path, tar_gz([*GOOD_MEMBERS, (link, b"")]))
    with pytest.raises(krew_install.InstallError, match="unable to handle file type"):
        krew_install.install(manifest, archive, tmp_path / "krew")


def test_installer_unpacks_zip_archives_with_their_modes(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, mode in (("kubectl-pullmedic", 0o755), ("LICENSE", 0o644)):
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            zipped.writestr(info, b"#!/bin/sh\n")
    manifest, archive = small_release(tmp_path, buffer.getvalue())
    installed = krew_install.install(manifest, archive, tmp_path / "krew")
    assert os.access(installed.link, os.X_OK)
    assert not os.access(installed.install_dir / "LICENSE", os.X_OK)


def test_installer_checks_the_sha256(tmp_path: Path) -> None:
    manifest, archive = small_release(tmp_path, tar_gz(GOOD_MEMBERS), sha256="0" * 64)
    with pytest.raises(krew_install.InstallError, match="checksum does not match"):
        krew_install.install(manifest, archive, tmp_path / "krew")


def test_installer_detects_the_format_from_the_content(tmp_path: Path) -> None:
    manifest, archive = small_release(tmp_path, b"this is not an archive")
    with pytest.raises(krew_install.InstallError, match="neither gzip nor zip"):
        krew_install.install(manifest, archive, tmp_path / "krew")


def test_installer_needs_a_matching_platform_bin_and_licence(tmp_path: Path) -> None:
    data = tar_gz(GOOD_MEMBERS)
    for case, changes, refusal in (
        ("windows", {}, "does not offer installation for windows/amd64"),
        ("bin", {"bin": "kubectl-missing"}, "cannot be found in extracted archive"),
        ("licence", {"files": [{"from": "kubectl-*", "to": "."}]}, "LICENSE \\(or alike\\) file is not extracted"),
    ):
        folder = tmp_path / case
        folder.mkdir()
        manifest, archive = small_release(folder, data, **changes)
        os_name = "windows" if case == "windows" else "linux"
        with pytest.raises(krew_install.InstallError, match=refusal):
            krew_install.install(manifest, archive, folder / "krew", os_name=os_name)


# -- the fresh release through the real kubectl ------------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(scenarios=True) as running:
        yield running


@pytest.fixture(scope="module", params=oldest_and_newest_pythons(), ids=lambda p: Path(p).name)
def plugin(request: pytest.FixtureRequest, release: Any, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    root = tmp_path_factory.mktemp("krew")
    installed = install_release(release, root / "krew")
    bin_dir = plugin_bin(installed, request.param)
    # Set on this machine (and in many container images): the launcher must still cache bytecode.
    env = env_with_bin(bin_dir, PYTHONDONTWRITEBYTECODE="1")
    return {"installed": installed, "bin": bin_dir, "env": env, "python": request.param}


def kubectl(plugin: Dict[str, Any], *args: str, expect_rc: int = 0) -> "subprocess.CompletedProcess[str]":
    result = subprocess.run([KUBECTL, *args], env=plugin["env"], capture_output=True, text=True, timeout=120)
    assert result.returncode == expect_rc, f"{args} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def python_tag(python: str) -> str:
    return subprocess.run([python, "-c", "import sys; print(sys.implementation.cache_tag)"],
                          capture_output=True, text=True, check=True).stdout.strip()


def bytecode(install_dir: Path) -> Dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in install_dir.rglob("*.pyc")}


def test_installed_layout(plugin: Dict[str, Any]) -> None:
    installed = plugin["installed"]
    assert (installed.install_dir / "LICENSE").is_file()
    assert {"kubectl-pullmedic", "kubectl_complete-pullmedic", "LICENSE"} <= set(installed.files)
    assert os.access(installed.install_dir / "kubectl-pullmedic", os.X_OK)
    assert os.access(installed.install_dir / "kubectl_complete-pullmedic", os.X_OK)


def test_kubectl_plugin_list_finds_the_plugin(plugin: Dict[str, Any]) -> None:
    result = kubectl(plugin, "plugin", "list")
    assert str(plugin["installed"].link) in result.stdout.splitlines()
    ours = [line for line in (result.stdout + result.stderr).lower().splitlines() if "pullmedic" in line]
    assert ours and not [line for line in ours if "warning" in line]


def test_plugin_runs_through_kubectl_on_this_python(plugin: Dict[str, Any], sandbox: Sandbox) -> None:
    assert kubectl(plugin, "pullmedic", "--version").stdout.strip() == f"kubectl-pullmedic {__version__}"
    kubeconfig = ["--kubeconfig", sandbox.kubeconfig_path]
    every_pod = kubectl(plugin, "pullmedic", "why", "-A", *kubeconfig, expect_rc=1).stdout
    assert "ImageNotFound" in every_pod and "EvictedEphemeralStorage" in every_pod
    one_workload = kubectl(plugin, "pullmedic", "why", "deploy/catalog", "-n", "shop", *kubeconfig, expect_rc=1)
    assert "RegistryAuthRequired" in one_workload.stdout
    secrets = kubectl(plugin, "pullmedic", "secrets-check", "-A", *kubeconfig, expect_rc=1).stdout
    assert "SecretNotFound" in secrets
    # The bundled package ran on the chosen Python: its bytecode carries that Python's tag.
    cache = plugin["installed"].install_dir / "lib" / "kubectl_pullmedic" / "__pycache__"
    assert any(python_tag(plugin["python"]) in path.name for path in cache.iterdir())


def test_second_run_compiles_nothing(plugin: Dict[str, Any], sandbox: Sandbox) -> None:
    args = ("pullmedic", "why", "-A", "--kubeconfig", sandbox.kubeconfig_path)
    kubectl(plugin, *args, expect_rc=1)
    first = bytecode(plugin["installed"].install_dir)
    assert any("/kubernetes/client/" in str(path) for path in first)
    kubectl(plugin, *args, expect_rc=1)
    assert bytecode(plugin["installed"].install_dir) == first


def test_read_only_install_caches_bytecode_in_the_user_cache(plugin: Dict[str, Any], tmp_path: Path) -> None:
    launcher = plugin["installed"].install_dir / "kubectl-pullmedic"
    pretend_read_only = (
        "import os, runpy, sys; os.access = lambda *args, **kwargs: False; "
        "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    env = dict(plugin["env"], XDG_CACHE_HOME=str(tmp_path))
    result = subprocess.run([plugin["python"], "-c", pretend_read_only, str(launcher), "--help"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    cached = list((tmp_path / "kubectl-pullmedic" / "pycache").rglob("*.pyc"))
    assert any("/lib/kubectl_pullmedic/" in str(path) for path in cached)


def test_launcher_refuses_an_old_python_with_a_clear_message(plugin: Dict[str, Any]) -> None:
    launcher = plugin["installed"].install_dir / "kubectl-pullmedic"
    pretend_old = (
        "import runpy, sys; sys.version_info = (3, 8, 0); "
        "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", pretend_old, str(launcher), "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("error: kubectl-pullmedic needs Python 3.9 or newer; python3 here is 3.8")
