"""The Matrix connector passes the connector conformance kit, against a real Synapse."""

from __future__ import annotations

from pathlib import Path

import pytest
from synapse import MatrixUser, Synapse, free_port

from agentdesk.connectors.matrix import MatrixConnector
from agentdesk.testing import ConnectorContract, table


class TestMatrixContract(ConnectorContract):
    """Each test gets its own desk account, customer and room (keyed by its workdir)."""

    timeout = 20.0

    @pytest.fixture(autouse=True)
    def _homeserver(self, synapse: Synapse, monkeypatch):
        self.server = synapse
        self.monkeypatch = monkeypatch
        self.parties: dict[Path, tuple[MatrixUser, MatrixUser, str]] = {}
        yield
        for desk, customer, _room in self.parties.values():
            desk.close()
            customer.close()

    def _party(self, workdir: Path) -> tuple[MatrixUser, MatrixUser, str]:
        if workdir not in self.parties:
            tag = f"{workdir.name.lower().replace('_', '')[-20:]}{free_port()}"
            desk = MatrixUser(self.server, f"cdesk{tag}", "Desk")
            customer = MatrixUser(self.server, f"ccust{tag}", "Customer")
            self.parties[workdir] = (desk, customer, customer.open_chat(desk.user_id))
        return self.parties[workdir]

    def make_connector(self, workdir: Path) -> MatrixConnector:
        desk, _customer, _room = self._party(workdir)
        self.monkeypatch.setenv("CONTRACT_MATRIX_PASSWORD", desk.password)
        return MatrixConnector(
            MatrixConnector.validate(
                table(
                    {
                        "type": "matrix",
                        "homeserver": self.server.url,
                        "user": desk.user_id,
                        "password_env": "CONTRACT_MATRIX_PASSWORD",
                        "max_backoff": 1.0,
                        "sync_timeout": 5.0,
                    }
                )
            )
        )

    def produce(self, connector: MatrixConnector, workdir: Path, texts: list[str]) -> None:
        _desk, customer, room = self._party(workdir)
        for text in texts:
            customer.send(room, text)

    def produce_threads(
        self, connector: MatrixConnector, workdir: Path, threads: list[list[str]]
    ) -> None:
        desk, customer, room = self._party(workdir)
        for n, texts in enumerate(threads):  # a room is a thread: one more for each
            target = room if n == 0 else customer.open_chat(desk.user_id)
            for text in texts:
                customer.send(target, text)

    def delivered(self, connector: MatrixConnector, workdir: Path) -> list[str]:
        desk, customer, room = self._party(workdir)
        return [e["content"]["body"] for e in customer.messages(room, sender=desk.user_id)]

    def make_unreachable(self, workdir: Path) -> MatrixConnector:
        self.monkeypatch.setenv("CONTRACT_MATRIX_TOKEN", "syt_unused")
        return MatrixConnector(
            MatrixConnector.validate(
                table(
                    {
                        "type": "matrix",
                        "homeserver": f"http://127.0.0.1:{free_port()}",
                        "user": "@desk:desk.test",
                        "access_token_env": "CONTRACT_MATRIX_TOKEN",
                    }
                )
            )
        )
