"""Refuse webhook URLs that would make the server call itself or a private network (SSRF).

Checked when an endpoint is registered and again before each delivery, since DNS
can change in between. What remains: a name can still resolve differently in the
instant between this check and urllib's own lookup (DNS rebinding); pinning the
address would need our own TLS connection handling and is not done.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from complaints.exceptions import DomainValidationError


def private_urls_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_URLS", False))


def _refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global  # shared address space (100.64/10) and the like
    )


def check_webhook_url(url: str) -> None:
    """Raise DomainValidationError({"url": ...}) unless `url` may receive webhooks."""
    allow_private = private_urls_allowed()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DomainValidationError({"url": "Not a valid URL."}) from None
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise DomainValidationError({"url": "Webhook URLs must use https."})
    if not parts.hostname:
        raise DomainValidationError({"url": "The URL has no host."})
    if parts.username or parts.password:
        raise DomainValidationError({"url": "The URL must not carry credentials."})
    if allow_private:
        return
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise DomainValidationError({"url": "The host name does not resolve."}) from None
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if _refused(ipaddress.ip_address(address)):
            raise DomainValidationError(
                {"url": "The host resolves to a loopback, private or reserved address."}
            )
