"""Where a webhook may be sent: one rule for registration and for every delivery.

A webhook must not become a way to reach the server's own network, so unless
`DUET_WEBHOOK_ALLOW_PRIVATE` is set, a destination must be a public address. The host is
resolved the way the delivery connection resolves it (getaddrinfo), so every spelling of
loopback that the C library accepts (`0x7f000001`, `2130706433`, `127.1`, `017700000001`)
and every name that resolves to a private address is caught, not only the canonical ones.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from schema.errors import invalid

_NOT_PUBLIC = "'url' must not point at this machine or at a private, loopback or link-local address"


def check_url(url: str) -> str:
    """http(s) with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        raise invalid("'url' must be an http or https URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("'url' must be an http or https URL")
    return url


def public_only(host: str, found: list[ResolveResult]) -> list[ResolveResult]:
    """The public addresses among `found`; OSError when there is none."""
    public = [entry for entry in found if ipaddress.ip_address(entry["host"]).is_global]
    if not public:
        raise OSError(f"{host} resolves to no public address")
    return public


class PublicAddressResolver(AbstractResolver):
    """Resolves names to public addresses only. Filtering here, where the delivery
    connection gets its addresses, also covers a name that resolved to a public address
    when it was registered and to a private one later (DNS rebinding)."""

    def __init__(self) -> None:
        self._resolver = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if _is_localhost(host):
            raise OSError(f"{host} resolves to no public address: it names this machine")
        return public_only(host, await self._resolver.resolve(host, port, family))

    async def close(self) -> None:
        await self._resolver.close()


def _is_localhost(host: str) -> bool:
    # RFC 6761: every name under localhost is loopback, with or without the root's dot.
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


async def check_destination(url: str, *, allow_private: bool) -> str:
    """400 unless `url` is http(s) and, where private addresses are not allowed, its host
    resolves to at least one public address (the addresses delivery will use). A name that
    does not resolve now passes: delivery resolves it again and retries until it does."""
    check_url(url)
    if allow_private:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if _is_localhost(host):
        raise invalid(_NOT_PUBLIC)
    resolver = PublicAddressResolver()
    try:
        await resolver.resolve(host, port, socket.AF_UNSPEC)
    except socket.gaierror:
        return url
    except OSError:
        raise invalid(_NOT_PUBLIC) from None
    finally:
        await resolver.close()
    return url
