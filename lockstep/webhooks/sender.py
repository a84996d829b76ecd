"""Sending one webhook request, safely: only http(s), never to the server's own loopback or
private network unless the webhook allows it (SSRF), the connection pinned to the address
that was checked (no DNS rebinding between check and connect), no redirects followed, a
short timeout and a small read of the answer."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

USER_AGENT = "Lockstep-Webhooks/1"


class Refused(Exception):
    """The address may not be called (not http(s), private or loopback, unresolvable)."""


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def literal_host_refusal(url: str, allow_private: bool) -> str | None:
    """Why a URL is refused without resolving it (its scheme, or a private IP literal or
    "localhost"), or None. Registration uses this; delivery also resolves names."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http:// or https:// address."
    if allow_private:
        return None
    host = parts.hostname.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "Loopback addresses are refused unless private addresses are allowed."
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not is_public(address):
        return "Private and loopback addresses are refused unless explicitly allowed."
    return None


def resolve(url: str, allow_private: bool) -> tuple[str, int, str, str]:
    """(scheme, port, host, the IP address to connect to) or Refused."""
    reason = literal_host_refusal(url, allow_private)
    if reason:
        raise Refused(reason)
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused("The address has an invalid port.") from exc
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"The host name {host} does not resolve.") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise Refused(f"The host name {host} does not resolve.")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise Refused(f"{host} resolves to a private or loopback address: refused.")
    return parts.scheme, port, host, str(addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._ip = ip

    def connect(self) -> None:
        raw = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool
) -> Answer:
    try:
        scheme, port, host, ip = resolve(url, allow_private)
    except Refused as exc:
        return Answer(None, str(exc))
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = cls(host, port, ip, timeout)
    try:
        connection.request(
            "POST",
            target,
            body=body,
            headers={**headers, "User-Agent": USER_AGENT, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read(4096)
        return Answer(response.status, "" if 200 <= response.status < 300 else response.reason)
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:300])
    finally:
        connection.close()
