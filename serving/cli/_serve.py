"""``tierroute serve``: run the HTTP service with uvicorn.

    tierroute backends &                      # simulated models on :8790
    tierroute serve --port 8080               # the default policy points at them
    curl localhost:8080/v1/route -d '{"prompt": "SELECT 1"}'

Flags override ``TIERROUTE_*`` environment variables (see :mod:`serving._settings`).
The policy and the classifier are loaded before the server binds its port, so a bad
policy or model stops the command with exit code 2 and the problem, not a traceback.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register", "serve"]


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the ``tierroute`` app."""

    @app.command("serve")
    def serve_command(
        policy: Annotated[
            Path | None, typer.Option("--policy", help="policy YAML (default: the shipped one)")
        ] = None,
        model: Annotated[
            str | None,
            typer.Option("--model", help="classifier artifact DIR or models:/NAME@ALIAS"),
        ] = None,
        host: Annotated[str | None, typer.Option(help="interface (default 127.0.0.1)")] = None,
        port: Annotated[int | None, typer.Option(help="TCP port (default 8080)")] = None,
        decision_log: Annotated[
            str | None,
            typer.Option("--decision-log", help="JSONL decision log path ('' = off)"),
        ] = None,
        api_keys_file: Annotated[
            Path | None, typer.Option("--api-keys-file", help="YAML/JSON hashed API keys")
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(help="worker processes (each logs to its own <log>.<pid>.jsonl)"),
        ] = None,
        tracking_uri: Annotated[
            str | None,
            typer.Option("--tracking-uri", help="MLflow registry for --model models:/NAME@ALIAS"),
        ] = None,
        redis_url: Annotated[
            str | None,
            typer.Option("--redis-url", help="redis://... shared by replicas (see README)"),
        ] = None,
    ) -> None:
        """Serve /v1/route and the OpenAI-compatible /v1/chat/completions."""
        flags = {
            "policy": policy,
            "model": model,
            "host": host,
            "port": port,
            "decision_log": decision_log,
            "api_keys_file": api_keys_file,
            "workers": workers,
            "tracking_uri": tracking_uri,
            "redis_url": redis_url,
        }
        serve({k: v for k, v in flags.items() if v is not None})


def serve(flags: dict[str, Any]) -> None:
    """Validate the settings, policy and classifier, then run uvicorn until stopped."""
    from classifier import litellm_env_defaults

    litellm_env_defaults()  # before litellm loads
    from pydantic import ValidationError

    from policies import TierrouteError, load_policy
    from serving._settings import Settings
    from serving.http import create_app, load_scorer

    try:
        settings = Settings(**flags)
    except ValidationError as exc:
        raise TierrouteError(f"invalid settings: {_problems(exc)}") from exc
    if settings.policy is not None:
        load_policy(settings.policy)  # PolicyError: exit 2 with file:line problems
    scorer = load_scorer(settings.model, settings.tracking_uri)
    import uvicorn

    config = uvicorn.Config(
        create_app(settings, scorer=scorer) if settings.workers == 1 else "serving.http:worker_app",
        factory=settings.workers > 1,
        workers=settings.workers,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    sock = _bind(settings.host, settings.port)  # TierrouteError (exit 2) when taken
    banner = (
        f"tierroute: serving on http://{settings.host}:{sock.getsockname()[1]} "
        f"(policy {settings.policy or 'default'}, classifier {scorer.version}, "
        f"decision log {settings.decision_log or 'off'})"
    )
    if settings.workers == 1:
        server = uvicorn.Server(config)
        startup = server.startup

        async def announce(sockets: list[socket.socket] | None = None) -> None:
            await startup(sockets=sockets)  # lifespan included; a failure never announces
            if server.started:
                typer.echo(banner, err=True)

        server.startup = announce  # type: ignore[method-assign]
        server.run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    for key, value in flags.items():  # the workers build their Settings from the env
        os.environ[f"TIERROUTE_{key.upper()}"] = str(value)
    typer.echo(f"{banner}, {settings.workers} workers", err=True)
    Multiprocess(config, sockets=[sock]).run()


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is announced: a taken port is one line
    and exit code 2 (``TierrouteError``), not uvicorn's log record and exit 1."""
    from policies import TierrouteError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise TierrouteError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _problems(exc: Exception) -> str:
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()
    )
