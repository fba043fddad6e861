"""``safeshare serve`` (the web UI and API) and ``safeshare user ...`` (accounts, passwords, API tokens)."""

from __future__ import annotations

import typer

from safeshare.cli.common import DatabaseOption, build_app
from safeshare.cli.root import app, friendly_errors
from safeshare.core.records import Role
from safeshare.services import accounts, directory
from safeshare.services.directory import user_by_username

user_app = typer.Typer(
    help="User accounts: add users, set passwords, issue, list and revoke API tokens, sign users out.",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")


@app.command("serve")
@friendly_errors
def serve(
    database_url: str | None = DatabaseOption,
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="Send the session cookie over HTTPS only (set this behind TLS)"
    ),
    plain_logs: bool = typer.Option(
        False, "--plain-logs", help="Write log lines as text instead of JSON (JSON is for log collectors)"
    ),
) -> None:
    """Start the web UI and the API (docs at /api/docs) on the embedded database."""
    import uvicorn

    from notifications.template_check import check_templates
    from web.app import create_app
    from web.observability import json_log_config

    check_templates()  # a broken template stops the server now, not at 3 a.m.
    application = build_app(database_url)
    typer.echo(f"safeshare on http://{host}:{port}/ (API docs at /api/docs); Ctrl-C stops it")
    log_config = uvicorn.config.LOGGING_CONFIG if plain_logs else json_log_config()
    uvicorn.run(create_app(application, https_only=secure_cookies), host=host, port=port, log_level="info",
                log_config=log_config)


@user_app.command("add")
@friendly_errors
def add_user(
    username: str,
    display_name: str = typer.Option(..., "--name", help="The person's full name"),
    roles: list[Role] = typer.Option(..., "--role", help="A role (repeat for more)"),
    team_name: str | None = typer.Option(
        None, "--team", "--team-id", help="The team's name (see 'safeshare team list'); none for police staff"
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Add a user; you are asked for their password."""
    application = build_app(database_url)
    with application.db.read() as session:  # a wrong team is said before the password is asked for
        team_id = directory.find_team(session, team_name).id if team_name else None
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with application.transaction() as session:
        user = accounts.create_account(
            application, session, None, username=username, display_name=display_name, roles=list(roles),
            team_id=team_id, password=password,
        )
        typer.echo(f"Added {user.username} ({', '.join(sorted(r.value for r in user.roles))}).")


@user_app.command("set-password")
@friendly_errors
def set_password(username: str, database_url: str | None = DatabaseOption) -> None:
    """Set a user's password (asked for, never on the command line)."""
    password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    application = build_app(database_url)
    with application.transaction() as session:
        accounts.set_password(application, session, None, user_by_username(session, username), password)
    typer.echo(f"Password set for {username}.")


@user_app.command("token")
@friendly_errors
def token(username: str, name: str = typer.Option("API client", "--name"), database_url: str | None = DatabaseOption,
          ) -> None:
    """Issue an API token acting as USERNAME (printed once; only its hash is kept)."""
    application = build_app(database_url)
    with application.transaction() as session:
        issued = accounts.issue_token(application, session, user_by_username(session, username), name)
    typer.echo(issued)


@user_app.command("tokens")
@friendly_errors
def tokens(
    username: str | None = typer.Argument(None, help="Only this user's tokens (default: everyone's)"),
    database_url: str | None = DatabaseOption,
) -> None:
    """List API tokens: who, name, issued, expires, and whether active, expired or revoked (never the token)."""
    application = build_app(database_url)
    with application.db.read() as session:
        user = user_by_username(session, username) if username else None
        listed = accounts.list_tokens(application, session, None, user)
    now = application.clock.now()
    if not listed:
        typer.echo("No API tokens.")
    for t in listed:
        typer.echo(
            f"{t.id:>5}  {t.username:<16} {t.name:<24} issued {t.created_at:%Y-%m-%d %H:%M}  "
            f"expires {t.expires_at:%Y-%m-%d %H:%M}  {t.state(now)}"
        )


@user_app.command("revoke-token")
@friendly_errors
def revoke_token(token_id: int, database_url: str | None = DatabaseOption) -> None:
    """Revoke one API token by its number (from 'safeshare user tokens'); it stops working at once."""
    application = build_app(database_url)
    with application.transaction() as session:
        revoked = accounts.revoke_token(application, session, None, token_id)
    typer.echo(f"Token {revoked.id} ({revoked.name!r} of {revoked.username}) is revoked.")


@user_app.command("sign-out")
@friendly_errors
def sign_out_everywhere(username: str, database_url: str | None = DatabaseOption) -> None:
    """End every browser session and API token of USERNAME at once."""
    application = build_app(database_url)
    with application.transaction() as session:
        user = accounts.revoke_access(application, session, None, user_by_username(session, username).id)
    typer.echo(f"Every session and API token of {user.username} has ended.")


@user_app.command("clear-failures")
@friendly_errors
def clear_failures(username: str, database_url: str | None = DatabaseOption) -> None:
    """Let USERNAME sign in again at once after failed attempts slowed their sign-in down."""
    application = build_app(database_url)
    with application.transaction() as session:
        accounts.clear_failed_sign_ins(application, session, None, user_by_username(session, username))
    typer.echo(f"Failed sign-ins cleared for {username}: they can sign in again now.")


# ``safeshare token issue|list|revoke``: the same commands under the name people look for first.
token_app = typer.Typer(help="API tokens: issue, list and revoke (also under 'safeshare user').", no_args_is_help=True)
app.add_typer(token_app, name="token")
token_app.command("issue")(token)
token_app.command("list")(tokens)
token_app.command("revoke")(revoke_token)
