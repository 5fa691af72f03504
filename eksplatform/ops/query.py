"""The restore drill's proof: a `SELECT 1` through the restored engine, over TLS.

The copy sits in the database subnets behind the source's security groups, so only a host those
groups admit (inside the VPC) can reach it. Reaching the port is tried first, on its own, so
"no route from here" (exit 6) is told apart from "the engine answered wrongly" (exit 5).
"""

from __future__ import annotations

import importlib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eksplatform.ops.exits import FailedError, InputError

DRIVER = "pg8000"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)


class NotRunError(Exception):
    """The query could not be tried from here (no route, no driver); the message says why."""


Connect = Callable[[Endpoint, float], socket.socket]
"""Opens a TCP connection to the endpoint within the timeout (seconds)."""

Query = Callable[[Endpoint, socket.socket, float], Any]
"""Runs SELECT 1 over an open connection and returns the value the engine answered."""


def tcp_connect(endpoint: Endpoint, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
    except OSError as error:  # DNS failure, refused, unreachable, timed out
        reason = error.strerror or type(error).__name__
        raise NotRunError(f"no route to {endpoint.host}:{endpoint.port} from here ({reason})") from None


def ca_context(bundle: Path) -> ssl.SSLContext:
    """A TLS context that verifies the copy's certificate against `bundle` (PEM), or an InputError.

    Loaded before the drill starts: a bundle that cannot be read must stop it before anything is
    restored, not after the copy is up.
    """
    try:
        return ssl.create_default_context(cafile=str(bundle))
    except (OSError, ValueError) as error:  # missing, unreadable, or no certificate in it (ssl.SSLError)
        reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or str(error)
        raise InputError(f"{bundle}: not a readable PEM CA bundle ({reason})") from None


def pg8000_select_one(context: ssl.SSLContext | None) -> Query:
    """SELECT 1 with pg8000 (pure Python), TLS required; the certificate verified with `context`.

    The platform's parameter groups set rds.force_ssl=1, so a plain connection would be refused.
    Without a context (no --ca-bundle) the session is encrypted but the server is not
    authenticated (pg8000's ssl_context=True); RDS publishes its CA bundle for verification.
    """

    def query(endpoint: Endpoint, sock: socket.socket, timeout: float) -> Any:
        try:
            native = importlib.import_module(f"{DRIVER}.native")
        except ImportError:
            sock.close()
            raise NotRunError(f"the PostgreSQL driver {DRIVER} is not installed (pip install {DRIVER})") from None
        try:
            connection = native.Connection(
                endpoint.user,
                host=endpoint.host,
                port=endpoint.port,
                database=endpoint.database,
                password=endpoint.password,
                sock=sock,
                ssl_context=True if context is None else context,
                timeout=timeout,
            )
        except Exception as error:  # the driver's own errors: TLS, authentication, protocol
            sock.close()
            raise FailedError(f"connecting to {endpoint.host}:{endpoint.port} failed: {error}") from None
        try:
            rows = connection.run("SELECT 1")
        except Exception as error:
            raise FailedError(f"SELECT 1 on {endpoint.host} failed: {error}") from None
        finally:
            connection.close()
        return rows[0][0] if rows and rows[0] else None

    return query
