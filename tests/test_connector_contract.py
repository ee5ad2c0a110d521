"""The built-in connectors pass the same conformance kit plugin authors use."""

from __future__ import annotations

from email import message_from_bytes, policy

import mail_samples as samples
import pytest
from mailservers import dovecot, free_port, smtp_server, test_ca  # noqa: F401

from agentdesk.connectors.demo import DemoConnector
from agentdesk.connectors.email import EmailConnector
from agentdesk.domain import Inbound
from agentdesk.testing import ConnectorContract, table


class TestDemoContract(ConnectorContract):
    settle = 0.1
    scripts: dict[str, list[Inbound]] = {}

    def make_connector(self, workdir):
        # A restarted demo replays its whole script: the host must not store it twice.
        script = self.scripts.setdefault(str(workdir), [])
        return DemoConnector(DemoConnector.validate(table({"type": "demo"})), script=script)

    def produce(self, connector, workdir, texts):
        for text in texts:
            message = Inbound(channel="chat", address="kim@example.com", text=text,
                              at="2026-11-20T09:00:00Z", ext_id=f"demo:{workdir.name}:{text}")
            self.scripts[str(workdir)].append(message)
            connector.script.append(message)

    def delivered(self, connector, workdir):
        return [reply.text for reply in connector.sent]


@pytest.mark.slow
class TestEmailContract(ConnectorContract):
    @pytest.fixture(autouse=True)
    def servers(self, dovecot, smtp_server):  # noqa: F811
        smtp_server.reset()
        self.dovecot, self.smtp = dovecot, smtp_server

    def settings(self, workdir, **overrides) -> dict:
        settings = self.dovecot.settings(**{
            "folders": [f"C-{workdir.name}"], "sent_folder": f"Sent-{workdir.name}",
            "smtp_host": "localhost", "smtp_port": self.smtp.port, **overrides})
        return EmailConnector.validate(table({"type": "email", **settings}))

    def make_connector(self, workdir):
        return EmailConnector(self.settings(workdir))

    def produce(self, connector, workdir, texts):
        with self.dovecot.client() as client:
            client.create(f"C-{workdir.name}")
        for n, text in enumerate(texts):
            self.dovecot.deliver(samples.plain(n, body=text), f"C-{workdir.name}")

    def delivered(self, connector, workdir):
        return [message_from_bytes(raw, policy=policy.default).get_content()
                for raw in self.smtp.received]

    def make_unreachable(self, workdir):
        return EmailConnector(self.settings(workdir, smtp_port=free_port()))
