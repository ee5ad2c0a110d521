"""Metrics computed from the event log alone (definitions: docs/metrics.md).

``collect.collect`` gathers the facts placed in a period from one or more desk databases
(a conversation present in several files counts once, by its key);
``aggregate.summarize`` turns them into per-agent or per-channel figures. No Textual
here. Each part is imported from its own module: this package imports none of them, so
reading ``[metrics]`` settings (every desk start) does not load the facts and their
aggregation (30 ms).
"""
