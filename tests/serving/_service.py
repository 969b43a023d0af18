"""``tierroute serve`` with a policy and a decision log, as a child process (for the
end-to-end tests: test_integration, test_replicas)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from serving.sim import ServiceProcess


class LoggedService(ServiceProcess):
    """``tierroute serve --policy POLICY --decision-log LOG`` on a free loopback port;
    its output goes to ``LOG`` with the suffix ``.out``."""

    def __init__(self, policy: Path, log: Path, env: Mapping[str, str] | None = None) -> None:
        args = ["--policy", str(policy), "--decision-log", str(log)]
        super().__init__(args, log.with_suffix(".out"), env)
        self.policy, self.log = policy, log
