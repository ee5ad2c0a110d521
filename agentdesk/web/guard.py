"""The one gate in front of the served desk: an aiohttp middleware that answers 403
before any handler (page, static file or websocket) runs, unless the request may pass.

- With a token, a request passes when it carries it: ``?token=`` (the first load; the
  answer sets a cookie and redirects to the same address without the token, so it
  leaves the address bar) or that cookie. Compared in constant time.
- Without one (loopback only), the ``Host`` must be a loopback name or the public
  address's host, so a page whose name was re-pointed at 127.0.0.1 (DNS rebinding)
  is refused.
- Always: a websocket's ``Origin`` must be this server's (its ``Host``, or the public
  address), so no other site's page can open the desk's websocket.

``page_headers`` adds to every answer a content security policy: no other site may
frame the desk (a framed desk on loopback would take the lead's keys), and the page
loads and connects to nothing but the desk itself.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from agentdesk.hosts import is_loopback

COOKIE = "agentdesk-web-token"
TOKEN_PARAMETER = "token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_guard(
    token: str | None, public_url: str = ""
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """The middleware for a desk whose browsers present ``token`` (None: no token, for a
    desk on loopback) and that is reached at ``public_url`` (empty: its own address)."""
    public = urlsplit(public_url) if public_url else None
    secure = public is not None and public.scheme == "https"
    prefix = public.path if public is not None else ""  # a proxy's path, as in /desk

    def same_token(presented: str | None) -> bool:
        assert token is not None
        return presented is not None and hmac.compare_digest(
            presented.encode("utf-8"), token.encode("utf-8")
        )

    def own_origin(request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return False
        if public is not None and origin == f"{public.scheme}://{public.netloc}":
            return True
        return origin in (f"http://{request.host}", f"https://{request.host}")

    def known_host(request: web.Request) -> bool:
        host = request.url.host
        return is_loopback(host) or (public is not None and host == public.hostname)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket" and not own_origin(request):
            return refuse("a websocket from another site")
        if token is None:
            if not known_host(request):
                return refuse(f"this desk answers on loopback only, not as {request.host!r}")
            return await handler(request)
        if TOKEN_PARAMETER in request.query:
            if not same_token(request.query[TOKEN_PARAMETER]):
                return refuse("wrong token")
            query = request.url.query.copy()
            query.popall(TOKEN_PARAMETER)
            location = prefix + str(request.rel_url.with_query(query))
            answer = web.Response(status=302, headers={"Location": location})
            answer.set_cookie(COOKIE, token, path="/", httponly=True, samesite="Lax", secure=secure)
            return answer
        if not same_token(request.cookies.get(COOKIE)):
            return refuse("this desk needs its token: open the address printed at start")
        return await handler(request)

    return guard


def refuse(reason: str) -> web.Response:
    """403 with one line saying why (never the token)."""
    return web.Response(status=403, text=f"agentdesk web: {reason}\n")


def page_headers(
    public_url: str = "",
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """An ``on_response_prepare`` hook: the headers above on every answer (the page's
    inline script and styles are textual-serve's, hence ``'unsafe-inline'``)."""
    public = urlsplit(public_url) if public_url else None
    websocket = ""
    if public is not None:
        websocket = f" {'wss' if public.scheme == 'https' else 'ws'}://{public.netloc}"
    headers = {
        "Content-Security-Policy": "; ".join(
            [
                "default-src 'self'",
                "script-src 'self' 'unsafe-inline'",
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data:",
                f"connect-src 'self'{websocket}",
                "frame-ancestors 'none'",
                "base-uri 'none'",
                "form-action 'none'",
            ]
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.update(headers)

    return add_headers
