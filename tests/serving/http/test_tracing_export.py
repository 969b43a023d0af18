"""Traces leave the process over OTLP/HTTP when an endpoint is configured."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from serving._settings import Settings
from serving.http._app import create_app
from tests.fakes import FakeBackends


class Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["content-length"]))
        Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def collector() -> Iterator[str]:
    Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    server.shutdown()
    server.server_close()


def test_spans_are_exported_to_the_configured_otlp_endpoint(collector: str, tmp_path: Path) -> None:
    settings = Settings(decision_log="", policy_poll_s=None, otlp_endpoint=collector)
    app = create_app(settings, completion=FakeBackends({}))
    with TestClient(app) as client:
        response = client.post(
            "/v1/chat/completions",
            json={"model": "tierroute/medium", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert response.status_code == 200
    # leaving the app flushed the batch processor
    assert [path for path, _ in Collector.received] == ["/v1/traces"]
    export = ExportTraceServiceRequest()
    export.ParseFromString(Collector.received[0][1])
    [resource] = export.resource_spans
    service = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert service["service.name"] == "tierroute"
    names = [s.name for scope in resource.scope_spans for s in scope.spans]
    assert "tierroute.request" in names and "tierroute.decision" in names
    assert any(n.startswith("tierroute.backend ") for n in names)
