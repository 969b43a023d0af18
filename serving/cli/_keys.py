"""``tierroute keys create|list|revoke``: manage the hashed API key file.

The file is ``--file`` or ``$TIERROUTE_API_KEYS_FILE`` (what ``tierroute serve
--api-keys-file`` reads). See :mod:`serving.http._keys`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

FileOption = Annotated[
    Path,
    typer.Option(
        "--file",
        envvar="TIERROUTE_API_KEYS_FILE",
        help="key file (YAML, hashes only); default $TIERROUTE_API_KEYS_FILE",
    ),
]


def register(app: typer.Typer) -> None:
    """Add the ``keys`` command group to the ``tierroute`` app."""
    keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
    app.add_typer(keys_app, name="keys")

    keys_app.command("create")(create_command)

    @keys_app.command("list")
    def list_command(
        file: FileOption,
        as_json: Annotated[bool, typer.Option("--json", help="one JSON object per key")] = False,
    ) -> None:
        """List the keys (ids, tenants, limits; never a key)."""
        from serving.http import read_key_file

        entries = read_key_file(file)
        for e in entries:
            row = e.model_dump(exclude_none=True, exclude={"hash", "id"})
            if as_json:
                typer.echo(json.dumps({"id": e.key_id, **row}))
                continue
            typer.echo(f"{e.key_id}  " + "  ".join(f"{k}={_show(v)}" for k, v in row.items()))
        if not entries:
            typer.echo(f"{file}: no keys", err=True)

    @keys_app.command("revoke")
    def revoke_command(
        file: FileOption,
        key_id: Annotated[str, typer.Argument(help="the key id `keys list` shows")],
    ) -> None:
        """Remove a key; running services stop accepting it within a second or so."""
        from serving.http import revoke_key

        entry = revoke_key(file, key_id)
        typer.echo(f"revoked key {entry.key_id} (tenant {entry.tenant}) in {file}")


def create_command(
    file: FileOption,
    tenant: Annotated[str, typer.Option("--tenant", help="tenant id the key belongs to")],
    tiers: Annotated[
        list[str] | None, typer.Option("--tiers", help="tiers the key may use (repeatable)")
    ] = None,
    models: Annotated[
        list[str] | None, typer.Option("--models", help="model strings it may request")
    ] = None,
    budget_usd: Annotated[
        float | None, typer.Option("--budget-usd", help="spend limit per period (USD)")
    ] = None,
    per: Annotated[
        str | None, typer.Option("--per", help="budget period: day | month (default month)")
    ] = None,
    rpm: Annotated[int | None, typer.Option("--rpm", help="requests per minute")] = None,
    tpm: Annotated[int | None, typer.Option("--tpm", help="tokens per minute")] = None,
) -> None:
    """Create a key; print it once (only its hash is stored)."""
    from serving.http import create_key

    key, entry = create_key(
        file,
        tenant,
        tiers=_split(tiers),
        models=_split(models),
        budget_usd=budget_usd,
        per=per,
        rpm=rpm,
        tpm=tpm,
    )
    typer.echo(key)
    typer.echo(
        f"created key {entry.key_id} for tenant {tenant} in {file}; "
        "the key is shown only now: store it safely",
        err=True,
    )


def _split(values: list[str] | None) -> list[str] | None:
    """``--tiers small,medium`` and ``--tiers small --tiers medium`` alike."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _show(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)
