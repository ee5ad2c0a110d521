"""Chat over Matrix: customer rooms as conversations, replies posted exactly once.

See docs/matrix.md. ``events`` turns room events into messages, ``client`` speaks
the client-server API over httpx, ``connector`` runs sync and send.
"""

from agentdesk.connectors.matrix.client import MatrixError
from agentdesk.connectors.matrix.connector import MatrixConnector

__all__ = ["MatrixConnector", "MatrixError"]
