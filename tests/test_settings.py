"""One settings tree: every ``SAFESHARE_*`` variable is read in safeshare/core/config.py (or by the two sections
that take an injectable environment), and each part gets its section from the app's settings."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from notifications.delivery import RetryPolicy
from safeshare.core.config import DeliverySettings, Settings, SmtpSettings
from safeshare.core.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[1]
READERS = {"safeshare/core/config.py", "safeshare/services/sso.py"}
PACKAGES = ("safeshare", "web", "workflows", "tasks", "notifications", "rules", "analysis")


def test_the_whole_tree_is_read_from_one_environment() -> None:
    settings = Settings.from_env({
        "SAFESHARE_DATABASE_URL": "sqlite:///x.db",
        "SAFESHARE_SMTP_HOST": "mail.example.org",
        "SAFESHARE_SMTP_SECURITY": "tls",
        "SAFESHARE_DELIVERY_MAX_ATTEMPTS": "3",
        "SAFESHARE_DELIVERY_BACKOFF_SECONDS": "30",
        "SAFESHARE_SECRET_KEY": "s" * 40,
        "SAFESHARE_TOKEN_DAYS": "7",
    })  # fmt: skip
    assert settings.database_url == "sqlite:///x.db" and settings.token_days == 7
    assert settings.smtp == SmtpSettings(host="mail.example.org", port=465, security="tls")
    assert settings.delivery == DeliverySettings(max_attempts=3, backoff_seconds=30.0)
    assert RetryPolicy.from_settings(settings.delivery).delay(2) == timedelta(seconds=60)
    assert settings.secret_key == "s" * 40
    bare = Settings.from_env({})
    assert bare.smtp is None and bare.secret_key is None and bare.delivery == DeliverySettings()


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SAFESHARE_DELIVERY_MAX_ATTEMPTS": "many"}, "SAFESHARE_DELIVERY_MAX_ATTEMPTS is not a whole number"),
        ({"SAFESHARE_DELIVERY_BACKOFF_SECONDS": "0"}, "must be more than 0"),
        ({"SAFESHARE_SECRET_KEY": "short"}, "too short"),
        ({"SAFESHARE_SMTP_HOST": "x", "SAFESHARE_SMTP_PORT": "smtp"}, "SAFESHARE_SMTP_PORT is not a whole number"),
        ({"SAFESHARE_SMTP_HOST": "x", "SAFESHARE_SMTP_SECURITY": "ssl3"}, "SAFESHARE_SMTP_SECURITY must be"),
        ({"SAFESHARE_SMTP_HOST": "x", "SAFESHARE_SMTP_USERNAME": "u"}, "set without SAFESHARE_SMTP_PASSWORD"),
        ({"SAFESHARE_MODEL_CODE_SECONDS": "forever"}, "SAFESHARE_MODEL_CODE_SECONDS must be a number of seconds"),
    ],
)
def test_a_bad_setting_stops_start_up_with_its_name(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigurationError, match=says):
        Settings.from_env(env)


def test_no_other_module_reads_a_safeshare_variable() -> None:
    """The settings tree is the one home of configuration: a part reading the environment itself would not
    see what a test or the CLI configured, and its setting would be missing from the README's list. (Nothing
    writes one either: tests/test_scheduler_served.py.) A command-line option reading a variable is a reading too."""
    reading = re.compile(r"""(environ|getenv|envvar)\b.{0,20}["']SAFESHARE_\w+["']""")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in READERS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if reading.search(line)
    ]
    assert offenders == []


def test_a_tree_built_in_code_reads_no_environment_and_travels_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only ``from_env`` reads the environment: a tree built in code (tests, a served run's parameters) holds
    what it was given, and the tree a sweep helper is handed arrives whole, secrets included."""
    import pickle

    monkeypatch.setenv("SAFESHARE_TOKEN_DAYS", "7")
    monkeypatch.setenv("SAFESHARE_FORCE_POSTAL_ADDRESS", "PPU | Eastshire Police | EA1 1AA")
    assert Settings(database_url="sqlite:///x.db").token_days == 30
    read = Settings.from_env()
    assert read.token_days == 7 and read.force_postal_address == ("PPU", "Eastshire Police", "EA1 1AA")
    keyed = Settings.from_env({"SAFESHARE_SECRET_KEY": "k" * 40, "SAFESHARE_AUDIT_WITNESS_OLD_KEYS": "a, b"})
    assert pickle.loads(pickle.dumps(keyed)) == keyed and keyed.audit_witness_old_keys == ("a", "b")
    assert "k" * 40 not in repr(keyed)  # secrets stay out of logs
    assert keyed.replace(sweep_workers=3).sweep_workers == 3 and keyed.sweep_workers is None
    with pytest.raises(Exception, match="greater than or equal to 1"):
        keyed.replace(sweep_workers=0)
