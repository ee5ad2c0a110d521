"""Loads agentdesk's conformance kit as a pytest plugin.

An installed agentdesk registers it by itself (entry point ``agentdesk.testing``); this
line also covers a checkout on PYTHONPATH, and does no harm otherwise.
"""

pytest_plugins = ["agentdesk.testing"]
