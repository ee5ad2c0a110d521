"""The built-in email connector (IMAP IDLE in, SMTP out with a durable outbox)."""

from agentdesk.connectors.email.connector import EmailConnector

__all__ = ["EmailConnector"]
