"""The built-in connectors pass the same conformance kit plugin authors use."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.utils import make_msgid

import mail_samples as samples
import pytest
from mailservers import free_port

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

    def produce(self, connector, workdir, texts, thread_key=None):
        for text in texts:
            message = Inbound(
                channel="chat",
                address="kim@example.com",
                text=text,
                at="2026-11-20T09:00:00Z",
                ext_id=f"demo:{workdir.name}:{text}",
                thread_key=thread_key,
            )
            self.scripts[str(workdir)].append(message)
            connector.script.append(message)

    def produce_threads(self, connector, workdir, threads):
        for n, texts in enumerate(threads):
            self.produce(connector, workdir, texts, thread_key=f"demo-thread-{n}")

    def redeliver(self, connector, workdir, texts):
        connector.script += [m for m in self.scripts[str(workdir)] if m.text in texts]

    def delivered(self, connector, workdir):
        return [reply.text for reply in connector.sent]


class TestEmailContract(ConnectorContract):
    @pytest.fixture(autouse=True)
    def servers(self, dovecot, smtp_server):
        smtp_server.reset()
        self.dovecot, self.smtp = dovecot, smtp_server
        self.raws: dict[str, bytes] = {}  # body -> the mail produced with it

    def settings(self, workdir, **overrides) -> dict:
        settings = self.dovecot.settings(
            **{
                "folders": [f"C-{workdir.name}"],
                "sent_folder": f"Sent-{workdir.name}",
                "smtp_host": "localhost",
                "smtp_port": self.smtp.port,
                **overrides,
            }
        )
        return EmailConnector.validate(table({"type": "email", **settings}))

    def make_connector(self, workdir):
        return EmailConnector(self.settings(workdir))

    def produce(self, connector, workdir, texts, start=0, **headers):
        with self.dovecot.client() as client:
            client.create(f"C-{workdir.name}")
        for n, text in enumerate(texts, start):
            self.raws[text] = samples.plain(n, body=text, **headers)
            self.dovecot.deliver(self.raws[text], f"C-{workdir.name}")

    def delivered(self, connector, workdir):
        return [
            message_from_bytes(raw, policy=policy.default).get_content()
            for raw in self.smtp.received
        ]

    def produce_threads(self, connector, workdir, threads):
        for t, texts in enumerate(threads):
            first = make_msgid(domain="example.com")
            self.produce(connector, workdir, texts[:1], start=t * 10, message_id=first)
            self.produce(connector, workdir, texts[1:], start=t * 10 + 1, in_reply_to=first)

    def redeliver(self, connector, workdir, texts):
        for text in texts:  # the very same mail once more, under a new IMAP UID
            self.dovecot.deliver(self.raws[text], f"C-{workdir.name}")

    def make_unavailable(self, connector, workdir):
        self.smtp.replies.extend(["421 4.3.2 Service not available, try later"] * 10)

    def make_unreachable(self, workdir):
        return EmailConnector(self.settings(workdir, smtp_port=free_port()))
