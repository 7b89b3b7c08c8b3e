"""What a WebSocket must pass before it reaches a consumer: its origin, and a known path.

The origin check is the one Django's CSRF protection makes for a POST
(CsrfViewMiddleware._origin_verified): the page that opens the socket must have been served by
this site, i.e. its Origin must be this request's own origin (scheme, host AND port, the host
one of ALLOWED_HOSTS), or one of CSRF_TRUSTED_ORIGINS. Channels' AllowedHostsOriginValidator
compares host names only, so a page on another port of the same host (another app, a dev
server) could open a socket with our cookies."""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in; None if it is not http(s)."""
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return None
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]


def _header(scope: dict, name: bytes) -> str | None:
    for header_name, value in scope.get("headers", []):
        if header_name == name:
            return value.decode("latin1")
    return None


def _request_scheme(scope: dict) -> str:
    """http or https, as Django's request.is_secure() would say for this socket."""
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        meta_name, secure_value = proxy_header
        # "HTTP_X_FORWARDED_PROTO" -> b"x-forwarded-proto"
        name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode()
        value = _header(scope, name)
        if value is not None:
            return "https" if value.split(",")[0].strip() == secure_value else "http"
    return "https" if scope.get("scheme", "ws") in ("wss", "https") else "http"


def _own_origin(scope: dict) -> tuple[str, str, int] | None:
    host = _header(scope, b"host") or ""
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return _origin(_request_scheme(scope), host)


def _trusted(origin: tuple[str, str, int]) -> bool:
    scheme, host, port = origin
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        scheme_part, _sep, netloc = trusted.partition("://")
        wildcard = netloc.startswith("*.")
        pattern = _origin(scheme_part, netloc[1:] if wildcard else netloc)
        if pattern is None or pattern[0] != scheme or pattern[2] != port:
            continue
        if host == pattern[1] or (wildcard and is_same_domain(host, pattern[1])):
            return True
    return False


def origin_allowed(scope: dict) -> bool:
    """Is this WebSocket opened by a page of this site? No Origin header, "null" or a
    malformed one is refused (browsers always send it)."""
    value = _header(scope, b"origin")
    if not value:
        return False
    scheme, _sep, netloc = value.partition("://")
    origin = _origin(scheme, netloc)
    if origin is None or netloc != netloc.split("/")[0]:
        return False
    own = _own_origin(scope)
    return (own is not None and origin == own) or _trusted(origin)


class SameOriginWebSockets:
    """ASGI middleware: refuses (HTTP 403 to the handshake) a socket from another origin."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


# Last in the WebSocket routes: any other path is refused like a bad origin (403 to the
# handshake) instead of Channels' "No route found" ValueError, a 500 with a traceback.
unknown_path = WebsocketDenier.as_asgi()
