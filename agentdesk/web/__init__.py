"""``agentdesk web``: the desk in a browser through textual-serve (docs/web.md).

``settings`` reads ``[web]``; ``guard`` is the middleware that keeps every request
without the token (or, on loopback, from another site) away from the app; ``server``
serves the desk's own command, one process per browser tab.
"""
