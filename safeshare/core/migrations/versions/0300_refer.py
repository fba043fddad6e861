"""Referrals to children's social care (P9, R41) and requests between agencies (P10, R46).

Two new tables, nothing else changed: ``referral`` (the referral, what was done at once on immediate
risk, and the receiving team's acknowledgement and decision) and ``agency_request`` (purpose, lawful
basis, deadline and the answer, which is a disclosure on the register).

Revision ID: 0300_refer
Revises: 0110_pract
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import safeshare.core.records.base

revision: str = "0300_refer"
down_revision: str | Sequence[str] | None = "0110_pract"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, safeshare.core.records.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("immediate_risk", sa.Boolean(), nullable=False),
        sa.Column("immediate_actions", _json(), nullable=True),
        sa.Column("concern", sa.Text(), nullable=False),
        sa.Column("receiving_team", sa.String(length=200), nullable=False),
        sa.Column("receiving_contact", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("consent_status", sa.String(length=20), nullable=False),
        sa.Column("consent_record_id", sa.Integer(), nullable=True),
        sa.Column("consent_note", sa.Text(), nullable=True),
        sa.Column("disclosure_id", sa.Integer(), nullable=True),
        _when("made_at"),
        sa.Column("made_by_id", sa.Integer(), nullable=False),
        _when("response_due_at"),
        _when("acknowledged_at", nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("decision", sa.String(length=40), nullable=True),
        _when("decision_at", nullable=True),
        sa.Column("decision_by", sa.String(length=200), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("follow_ups", _json(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_record.id"], name=op.f("fk_referral_case_id_case_record")),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_referral_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(
            ["consent_record_id"], ["consent_record.id"], name=op.f("fk_referral_consent_record_id_consent_record")
        ),
        sa.ForeignKeyConstraint(
            ["disclosure_id"], ["disclosure.id"], name=op.f("fk_referral_disclosure_id_disclosure")
        ),
        sa.ForeignKeyConstraint(["made_by_id"], ["app_user.id"], name=op.f("fk_referral_made_by_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    op.create_index(op.f("ix_referral_case_id"), "referral", ["case_id"], unique=False)
    op.create_table(
        "agency_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("lawful_basis", sa.Text(), nullable=False),
        sa.Column("asked", sa.Text(), nullable=False),
        _when("received_at"),
        _when("due_at"),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        _when("answered_at", nullable=True),
        sa.Column("disclosure_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_record.id"], name=op.f("fk_agency_request_case_id_case_record")),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name=op.f("fk_agency_request_instance_id_process_instance")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_agency_request_recorded_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["disclosure_id"], ["disclosure.id"], name=op.f("fk_agency_request_disclosure_id_disclosure")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_request")),
    )
    op.create_index(op.f("ix_agency_request_case_id"), "agency_request", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_agency_request_case_id"), table_name="agency_request")
    op.drop_table("agency_request")
    op.drop_index(op.f("ix_referral_case_id"), table_name="referral")
    op.drop_table("referral")
