"""Built-in demo data: a generated desk (``generate_demo``) and help-centre articles (``kb/``)."""

from agentdesk.demo.generator import DemoSummary, generate_demo

__all__ = ["DemoSummary", "generate_demo"]
