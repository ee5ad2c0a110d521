"""The file-drop connector against agentdesk's conformance kit."""

from __future__ import annotations

import json
import shutil
import time

from agentdesk_filedrop import FileDropConnector

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
