"""Real registries for the probe tests, started once per session (about a second in all).

Debian's docker-registry on loopback, images pushed by skopeo: htpasswd (Basic) auth with a
self-signed certificate, Bearer token auth through ``TokenServer``, an open plain-HTTP one,
and a CONNECT proxy. Registered for the whole suite in ``conftest.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from registry_server import RegistryServer, TokenServer, TunnelProxy, make_certificate, make_htpasswd, push_image

USER, PASSWORD = "alice", "Wonderland-Pa55"
ROBOT, ROBOT_PASSWORD = "robot", "Builder-Pa55"
PROXY_LOGIN = ("proxyuser", "Proxy-Pa55")


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("registries")


@pytest.fixture(scope="session")
def tls(workdir: Path):
    return make_certificate(workdir)


@pytest.fixture(scope="session")
def basic_registry(workdir: Path, tls) -> Iterator[RegistryServer]:
    htpasswd = make_htpasswd(workdir / "htpasswd", {USER: PASSWORD})
    registry = RegistryServer(workdir / "basic", htpasswd=htpasswd, tls=tls)
    try:
        push_image(
            registry, "team/app", ["1.25.2", "1.25.3", "1.26.0", "latest"], workdir, creds=(USER, PASSWORD)
        )
        push_image(registry, "team/armonly", ["2.0"], workdir, platforms=[("linux", "arm64")], creds=(USER, PASSWORD))
        push_image(
            registry,
            "team/multi",
            ["1.0"],
            workdir,
            platforms=[("linux", "arm64"), ("linux", "s390x")],
            creds=(USER, PASSWORD),
        )
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def token_server(workdir: Path, tls) -> Iterator[TokenServer]:
    # over HTTPS: credentials go to a plain-HTTP realm only on the registry's own origin
    server = TokenServer(workdir / "token", {ROBOT: ROBOT_PASSWORD}, tls=tls)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_registry(workdir: Path, tls, token_server: TokenServer) -> Iterator[RegistryServer]:
    registry = RegistryServer(workdir / "bearer", tls=tls, token=token_server)
    try:
        push_image(registry, "private/app", ["v1"], workdir, creds=(ROBOT, ROBOT_PASSWORD))
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def open_registry(workdir: Path) -> Iterator[RegistryServer]:
    registry = RegistryServer(workdir / "open")
    try:
        push_image(registry, "pub/app", ["1.0"], workdir)
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def tunnel_proxy() -> Iterator[TunnelProxy]:
    proxy = TunnelProxy()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def guarded_proxy() -> Iterator[TunnelProxy]:
    """A proxy that wants ``PROXY_LOGIN``."""
    proxy = TunnelProxy(login=PROXY_LOGIN)
    yield proxy
    proxy.stop()
