"""The file-drop connector against agentdesk's conformance kit."""

from __future__ import annotations

import asyncio
import json
import shutil
import time

from agentdesk_filedrop import FileDropConnector

from agentdesk.store import Store
from agentdesk.testing import ConnectorContract, table


class TestFileDrop(ConnectorContract):
    settle = 0.3

    def make_connector(self, workdir):
        (workdir / "in").mkdir(exist_ok=True)
        (workdir / "out").mkdir(exist_ok=True)
        settings = FileDropConnector.validate(
            table(
                {
                    "type": "filedrop",
                    "inbox_dir": str(workdir / "in"),
                    "outbox_dir": str(workdir / "out"),
                    "poll_seconds": 0.05,
                }
            )
        )
        return FileDropConnector(settings)

    def produce(self, connector, workdir, texts):
        for n, text in enumerate(texts):
            path = workdir / "in" / f"{time.time_ns()}-{n}.json"
            path.write_text(json.dumps({"from": "kim@example.com", "text": text}))
            time.sleep(0.01)  # distinct modification times keep the order

    def delivered(self, connector, workdir):
        return [json.loads(p.read_text())["text"] for p in sorted((workdir / "out").glob("*.json"))]

    def make_unreachable(self, workdir):
        connector = self.make_connector(workdir)
        connector.outbox = workdir / "no" / "such" / "folder"
        return connector

    def make_unavailable(self, connector, workdir):
        shutil.rmtree(workdir / "out")  # the shared folder is gone for now: writes fail


def test_a_broken_file_is_skipped_and_the_rest_arrive(tmp_path):
    contract = TestFileDrop()
    connector = contract.make_connector(tmp_path)
    (tmp_path / "in" / "0-broken.json").write_text("{not json")
    assert connector._read(tmp_path / "in" / "0-broken.json") is None
    assert "skipped 0-broken.json" in connector.state


def test_a_restart_reads_only_files_newer_than_the_last_one_stored(tmp_path):
    contract = TestFileDrop()
    first = contract.make_connector(tmp_path)
    contract.produce(first, tmp_path, ["first", "second"])
    with Store(tmp_path / "desk.db") as store:
        assert asyncio.run(receive(first, store, 2)) == [
            "first",
            "second",
        ]
        contract.produce(None, tmp_path, ["third"])
        assert asyncio.run(receive(contract.make_connector(tmp_path), store, 1)) == ["third"]
        assert store.connector_data("filedrop").get("last_file")[1].endswith("-0.json")


async def receive(connector, store, count):
    """Store ``count`` messages the way the desk does: each with its ``recorded`` call."""
    connector.attach(store)
    await connector.start()
    texts = []
    async for message in connector.incoming():
        with store.atomic():  # the message and the connector's state commit together
            connector.recorded(message, store.messages.record_inbound(message))
        texts.append(message.text)
        if len(texts) == count:
            break
    await connector.stop()
    return texts
