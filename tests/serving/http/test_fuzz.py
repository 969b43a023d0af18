"""Schema-driven fuzzing: every route of /openapi.json, valid and invalid inputs.

schemathesis generates requests from the service's own OpenAPI document (a bounded
number per operation) and sends them in-process; no input may make the service
answer 5xx or hang. Backends are fakes that always answer, so a 5xx can only come
from the service itself.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from serving._settings import Settings
from serving.http._app import create_app
from tests.fakes import FakeBackends

EXAMPLES = 40  # per operation and generation phase
HANG_S = 30.0  # a request that takes longer counts as a hang (the fakes answer at once)

app = create_app(Settings(decision_log=None, policy_poll_s=None), completion=FakeBackends({}))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


def test_every_route_is_in_the_schema() -> None:
    paths = set(app.openapi()["paths"])
    expected = {"/v1/route", "/v1/chat/completions", "/v1/models", "/healthz", "/readyz"}
    assert expected <= paths


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_gets_a_5xx_or_hangs(case: schemathesis.Case) -> None:
    response = case.call(timeout=HANG_S)  # raises on a hang
    assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:500]}"
