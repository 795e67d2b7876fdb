"""What the environment says about the network: the proxy a request to a URL goes through.

The client lets httpx read ``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``,
``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` (``trust_env``) unless the profile turns that off
(:attr:`bbot_tui.config.settings.Profile.use_environment_proxy`). :func:`environment_proxy`
tells which proxy that is for one URL, by httpx's rules, so that ``bbot-tui doctor`` and
error messages can name it (its user and password masked). It never changes what is sent.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
import urllib.request
from collections.abc import Mapping

__all__ = ["PROXY_VARIABLES", "environment_proxy", "mask_proxy_url"]

PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)
"""The variables the client reads from the environment when the profile allows it."""


def mask_proxy_url(url: str) -> str:
    """``http://user:secret@proxy:3128`` → ``http://***@proxy:3128`` (no credentials shown)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"***@{host}"))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _bypassed(scheme: str, host: str, port: int | None, no_proxy: str) -> bool | None:
    """Whether ``NO_PROXY`` exempts the URL (None: ``*``, every URL)."""
    for entry in (e.strip() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return None
        if "://" in entry:
            pattern = urllib.parse.urlsplit(entry)
            if pattern.scheme not in ("all", scheme):
                continue
            if pattern.port is not None and pattern.port != port:
                continue
            if (pattern.hostname or "") == host:
                return True
        elif _is_ip(entry) or entry.lower() == "localhost":
            if entry.strip("[]").lower() == host:
                return True
        elif entry.startswith("."):
            if host.endswith(entry.lower()) and len(host) > len(entry):
                return True
        elif host == entry.lower() or host.endswith("." + entry.lower()):
            return True
    return False


def environment_proxy(url: str, proxies: Mapping[str, str] | None = None) -> str | None:
    """The proxy httpx uses for ``url`` with ``trust_env``, credentials masked; None: direct.

    Args:
        url: the server URL.
        proxies: scheme → proxy, as :func:`urllib.request.getproxies` returns them (the
            default: the environment, and the system settings on macOS and Windows).
    """
    found = urllib.request.getproxies() if proxies is None else dict(proxies)
    parts = urllib.parse.urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    if _bypassed(scheme, host, port, found.get("no", "")) is not False:
        return None
    proxy = found.get(scheme) or found.get("all")
    if not proxy:
        return None
    return mask_proxy_url(proxy if "://" in proxy else f"http://{proxy}")
