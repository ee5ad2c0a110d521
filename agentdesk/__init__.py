"""agentdesk: a keyboard-first terminal agent desk for customer-service teams."""

__version__ = "0.1.0"
