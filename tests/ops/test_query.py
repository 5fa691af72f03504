"""The drill's SELECT 1: reaching the port, and what is handed to the driver (a stand-in for pg8000)."""

from __future__ import annotations

import socket
import ssl
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore
import pytest

from eksplatform.ops.exits import FailedError, InputError
from eksplatform.ops.query import Endpoint, NotRunError, ca_context, pg8000_select_one, tcp_connect

ENDPOINT = Endpoint("127.0.0.1", 0, "platform", "platform_admin", "drill-only")


def closed_port() -> int:
    """A local port with nobody listening (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_no_listener_is_no_route_not_a_failure() -> None:
    port = closed_port()
    with pytest.raises(NotRunError, match=rf"no route to 127\.0\.0\.1:{port} from here"):
        tcp_connect(Endpoint("127.0.0.1", port, "platform", "u", "p"), timeout=2)


def test_a_listener_is_reached() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with tcp_connect(Endpoint("127.0.0.1", port, "platform", "u", "p"), timeout=2) as client:
            assert client.getpeername()[1] == port


class Driver:
    """Stands in for the module pg8000.native: records the connection arguments, answers as told."""

    def __init__(self, rows: Any = None, refuse: Exception | None = None) -> None:
        self.rows = [[1]] if rows is None else rows
        self.refuse = refuse
        self.kwargs: dict[str, Any] = {}
        self.args: tuple[Any, ...] = ()
        self.sql: list[str] = []
        self.closed = False

    def Connection(self, *args: Any, **kwargs: Any) -> Driver:  # noqa: N802 - pg8000's name
        if self.refuse:
            raise self.refuse
        self.args, self.kwargs = args, kwargs
        return self

    def run(self, sql: str) -> Any:
        self.sql.append(sql)
        return self.rows

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Driver]:
    stand_in = Driver()
    package = types.ModuleType("pg8000")
    native = types.ModuleType("pg8000.native")
    native.Connection = stand_in.Connection  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pg8000", package)
    monkeypatch.setitem(sys.modules, "pg8000.native", native)
    yield stand_in


def test_select_one_requires_tls_over_the_reached_socket(driver: Driver) -> None:
    sock = socket.socket()
    try:
        assert pg8000_select_one(None)(ENDPOINT, sock, 5) == 1
    finally:
        sock.close()
    assert driver.args == ("platform_admin",)
    assert driver.kwargs["sock"] is sock and driver.kwargs["database"] == "platform"
    assert driver.kwargs["password"] == "drill-only" and driver.kwargs["timeout"] == 5
    # True: pg8000 insists on TLS (it refuses a server that declines) without verifying the certificate.
    assert driver.kwargs["ssl_context"] is True
    assert driver.sql == ["SELECT 1"] and driver.closed


def test_a_ca_bundle_verifies_the_certificate(driver: Driver) -> None:
    bundle = Path(botocore.__file__).parent / "cacert.pem"  # a real PEM bundle stands in for RDS's
    context = ca_context(bundle)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # the bundle's certificates were loaded
    pg8000_select_one(context)(ENDPOINT, socket.socket(), 5)
    assert driver.kwargs["ssl_context"] is context


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.pem", None, "No such file or directory"),
        ("notes.pem", "not a certificate\n", "no certificate or crl found"),
    ],
)
def test_a_bundle_that_is_not_a_pem_bundle_is_bad_input(
    tmp_path: Path, name: str, content: str | None, reason: str
) -> None:
    bundle = tmp_path / name
    if content is not None:
        bundle.write_text(content)
    with pytest.raises(InputError) as refused:
        ca_context(bundle)
    assert str(refused.value).startswith(f"{bundle}: not a readable PEM CA bundle (") and reason in str(refused.value)


def test_a_refused_login_fails_the_drill(monkeypatch: pytest.MonkeyPatch) -> None:
    refusing = Driver(refuse=RuntimeError("password authentication failed for user platform_admin"))
    native = types.ModuleType("pg8000.native")
    native.Connection = refusing.Connection  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pg8000", types.ModuleType("pg8000"))
    monkeypatch.setitem(sys.modules, "pg8000.native", native)
    with pytest.raises(FailedError, match=r"connecting to 127\.0\.0\.1:0 failed: password authentication failed"):
        pg8000_select_one(None)(ENDPOINT, socket.socket(), 5)


def test_without_the_driver_the_query_is_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pg8000.native", None)  # import fails
    with pytest.raises(NotRunError, match="the PostgreSQL driver pg8000 is not installed"):
        pg8000_select_one(None)(ENDPOINT, socket.socket(), 5)


def test_the_real_driver_refuses_a_server_without_tls() -> None:
    """pg8000 itself (when installed): a server that declines TLS gets no password, the drill fails."""
    pytest.importorskip("pg8000.native")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(30)  # a broken test must not hang the suite
        port = server.getsockname()[1]
        endpoint = Endpoint("127.0.0.1", port, "platform", "platform_admin", "drill-only")
        received: list[bytes] = []

        def serve() -> None:
            peer, _ = server.accept()
            with peer:
                received.append(peer.recv(8))  # SSLRequest: length 8, code 80877103
                peer.sendall(b"N")  # "no TLS here"
                received.append(peer.recv(64))

        worker = threading.Thread(target=serve)
        worker.start()
        try:
            with pytest.raises(FailedError, match="Server refuses SSL"):
                pg8000_select_one(None)(endpoint, tcp_connect(endpoint, 5), 5)
        finally:
            worker.join()
    assert received[0] == (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")
    assert received[1] == b""  # nothing else was sent: no startup message, no password
