"""Channel connectors: the seam between agentdesk and the outside world."""
