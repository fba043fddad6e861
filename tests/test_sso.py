"""Single sign-on against a real OpenID Connect provider started on loopback (tests/oidc_provider.py):
real redirects, a code exchanged with the client secret and PKCE, ID tokens signed with the key the
provider publishes at its JWKS address. Each way a sign-in can be wrong is refused with a page in
plain words and an audit event."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeshare.app import App
from safeshare.core.audit import verify_chain
from safeshare.core.errors import ConfigurationError
from safeshare.core.records import AuditEvent, Role, SsoIdentity, User
from safeshare.services.sso import SsoSettings
from tests.builders import Scenario
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Account, Provider, running_provider
from web.app import create_app

ACCOUNTS = [
    Account("sub-0001", "casey.sso", "Casey Jones", "casey@north.example.org", ["sg-practitioners", "sg-north"]),
    Account("sub-0002", "morgan.sso", "Morgan Lee", "morgan@north.example.org", ["sg-managers", "sg-north"]),
    Account("sub-0003", "robin.sso", "Robin Stray", "robin@example.org", ["finance"]),
    Account("sub-0004", "pat", "Pat Practitioner", "pat@north.example.org", ["sg-practitioners", "sg-north"]),
]


def settings_for(provider: Provider) -> SsoSettings:
    return SsoSettings(
        metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        role_map={
            "sg-practitioners": (Role.PRACTITIONER,),
            "sg-managers": (Role.MANAGER,),
            "sg-dpo": (Role.DATA_PROTECTION_OFFICER,),
        },
        team_map={"sg-north": "North"},
        provider_name="Northshire Council",
    )


@dataclass
class Sso:
    app: App
    provider: Provider
    client: TestClient

    def journey(self, account: str) -> httpx.Response:
        """Start at our sign-in, follow the redirect to the provider, sign in there, come back."""
        start = self.client.get("/sign-in/sso?next=/cases", follow_redirects=False)
        assert start.status_code == 302
        to_provider = start.headers["location"]
        assert to_provider.startswith(f"{self.provider.issuer}/authorize?")
        form = httpx.get(to_provider)
        assert form.status_code == 200 and "Test identity provider" in form.text
        back = httpx.post(to_provider, data={"account": account})
        assert back.status_code == 302, back.text
        location = back.headers["location"]
        assert location.startswith("http://testserver/sign-in/sso/callback?")
        self.last_callback = location
        parts = urlsplit(location)
        return self.client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


@pytest.fixture
def sso(app: App, scenario: Scenario) -> Iterator[Sso]:
    with running_provider(ACCOUNTS) as provider:
        provider.now = lambda: app.clock.now().timestamp()  # one clock for both sides
        provider.register_redirect("http://testserver/sign-in/sso/callback")
        web = create_app(app, key="sso-tests-" + "k" * 40, sso=settings_for(provider))
        with TestClient(web) as client:
            yield Sso(app, provider, client)


def events(app: App, event_type: str) -> list[AuditEvent]:
    with app.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type).order_by(AuditEvent.seq)))


def test_first_sign_in_creates_the_user_with_mapped_role_and_team(sso: Sso, scenario: Scenario) -> None:
    answer = sso.journey("casey.sso")
    assert answer.status_code == 303 and answer.headers["location"] == "/cases"
    assert "Casey Jones" in sso.client.get("/tasks").text
    with sso.app.db.read() as s:
        user = s.scalar(select(User).where(User.username == "casey.sso"))
        assert user is not None
        assert user.roles == {Role.PRACTITIONER}
        assert user.team_id == scenario.team_ids["north"]
        assert user.password_hash is None
        identity = s.scalar(select(SsoIdentity).where(SsoIdentity.user_id == user.id))
        assert identity is not None and identity.subject == "sub-0001" and identity.issuer == sso.provider.issuer
    assert [e.summary for e in events(sso.app, "user_created")][-1].startswith("User casey.sso created")
    assert events(sso.app, "signed_in")[-1].detail["subject"] == "sub-0001"


def test_a_changed_group_at_the_provider_changes_the_role_at_the_next_sign_in(sso: Sso) -> None:
    sso.journey("casey.sso")
    sso.provider.accounts["casey.sso"].groups = ["sg-managers", "sg-north"]
    fresh = TestClient(sso.client.app)
    sso.client = fresh
    assert sso.journey("casey.sso").status_code == 303
    with sso.app.db.read() as s:
        users = list(s.scalars(select(User).where(User.username == "casey.sso")))
        assert len(users) == 1 and users[0].roles == {Role.MANAGER}
    assert events(sso.app, "user_updated")[-1].detail["after"]["roles"] == ["manager"]


def test_an_existing_local_account_is_taken_over_and_its_password_stops_working(sso: Sso, scenario: Scenario) -> None:
    assert sso.journey("pat").status_code == 303
    with sso.app.db.read() as s:
        pat = s.get(User, scenario.users["pat"])
        assert pat is not None and pat.password_hash is None
        assert s.scalar(select(SsoIdentity.user_id).where(SsoIdentity.subject == "sub-0004")) == pat.id


def test_passwords_are_off_when_single_sign_on_is_configured(sso: Sso) -> None:
    page = sso.client.get("/sign-in")
    assert "Sign in with your organisation account" in page.text and "Password" not in page.text
    assert "Northshire Council" in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0] if 'name="csrf_token"' in page.text else ""
    refused = sso.client.post("/sign-in", data={"username": "pat", "password": "x" * 12, "csrf_token": csrf})
    assert refused.status_code == 403 and "does not use passwords" in refused.text
    api = sso.client.post("/api/auth/token", json={"username": "pat", "password": "x" * 12})
    assert api.status_code == 403 and "organisation account" in api.json()["error"]


@pytest.mark.parametrize(
    ("fault", "reason", "words"),
    [
        ("wrong_audience", "wrong_audience", "meant for a different service"),
        ("expired", "expired_token", "has expired"),
        ("bad_signature", "bad_signature", "not signed by your organisation"),
    ],
)
def test_a_bad_id_token_is_refused_in_plain_words_and_audited(sso: Sso, fault: str, reason: str, words: str) -> None:
    sso.provider.fault = fault
    answer = sso.journey("casey.sso")
    assert answer.status_code == 403
    assert "You could not be signed in" in answer.text and words in answer.text
    assert "Go to the sign-in page" in answer.text
    refusal = events(sso.app, "sign_in_refused")[-1]
    assert refusal.detail["reason"] == reason and refusal.actor_id is None
    assert sso.client.get("/tasks", follow_redirects=False).status_code == 303  # still signed out
    with sso.app.db.read() as s:
        assert s.scalar(select(User).where(User.username == "casey.sso")) is None


def test_a_replayed_callback_is_refused(sso: Sso) -> None:
    assert sso.journey("casey.sso").status_code == 303
    parts = urlsplit(sso.last_callback)
    again = sso.client.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert again.status_code == 403 and "already been used" in again.text
    assert events(sso.app, "sign_in_refused")[-1].detail["reason"] == "replayed_state"
    stranger = TestClient(sso.client.app).get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert stranger.status_code == 403 and "not started from this browser" in stranger.text


def test_a_person_in_no_mapped_group_is_refused(sso: Sso) -> None:
    answer = sso.journey("robin.sso")
    assert answer.status_code == 403
    assert "not in a group that may use this service" in answer.text
    assert "IT service desk" in answer.text
    refusal = events(sso.app, "sign_in_refused")[-1]
    assert refusal.detail == {"reason": "unmapped_group", "issuer": sso.provider.issuer, "subject": "sub-0003"}
    with sso.app.db.read() as s:
        assert s.scalar(select(User).where(User.username == "robin.sso")) is None
        assert verify_chain(s).ok


def test_a_provider_that_does_not_answer_is_named_on_the_sign_in_page(app: App, scenario: Scenario) -> None:
    with running_provider(ACCOUNTS) as provider:
        settings = settings_for(provider)
    web = create_app(app, key="sso-tests-" + "k" * 40, sso=settings)  # the provider has stopped
    with TestClient(web) as client:
        answer = client.get("/sign-in/sso", follow_redirects=False)
        assert answer.status_code == 503
        assert "sign-in service is not answering" in answer.text
        assert client.get("/healthz").status_code == 200


def test_settings_come_from_the_environment_and_the_secret_from_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "client-secret"
    secret.write_text("from-a-file\n")
    env = {
        "SAFESHARE_OIDC_ISSUER": "https://login.example.org/tenant/v2.0/",
        "SAFESHARE_OIDC_CLIENT_ID": "abc",
        "SAFESHARE_OIDC_CLIENT_SECRET_FILE": str(secret),
        "SAFESHARE_OIDC_ROLE_MAP": "g1=practitioner; g2=manager+senior_manager",
        "SAFESHARE_OIDC_TEAM_MAP": "g1=North",
    }
    settings = SsoSettings.from_env(env)
    assert settings is not None
    assert settings.metadata_url == "https://login.example.org/tenant/v2.0/.well-known/openid-configuration"
    assert settings.client_secret == "from-a-file"
    assert settings.role_map["g2"] == (Role.MANAGER, Role.SENIOR_MANAGER)
    assert "from-a-file" not in repr(settings)
    assert SsoSettings.from_env({}) is None
    with pytest.raises(ConfigurationError, match="not a role here"):
        SsoSettings.from_env(env | {"SAFESHARE_OIDC_ROLE_MAP": "g1=wizard"})
    with pytest.raises(ConfigurationError, match="client secret"):
        SsoSettings.from_env({k: v for k, v in env.items() if k != "SAFESHARE_OIDC_CLIENT_SECRET_FILE"})
