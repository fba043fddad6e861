"""sharing and police schemes: manager advice, share decisions, disclosure register,
information received, CSOR and DVDS applications (issue #3)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:00:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import safeshare.core.records.base

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('manager_advice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('urgency', sa.String(length=20), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=30), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('advised_by_id', sa.Integer(), nullable=False),
    sa.Column('advised_role', sa.String(length=40), nullable=False),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('due_at', safeshare.core.records.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('within_deadline', sa.Boolean(), nullable=False),
    sa.Column('advised_at', safeshare.core.records.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['advised_by_id'], ['app_user.id'], name=op.f('fk_manager_advice_advised_by_id_app_user')),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_manager_advice_case_id_case_record')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_manager_advice_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], name=op.f('fk_manager_advice_requested_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manager_advice'))
    )
    with op.batch_alter_table('manager_advice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manager_advice_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manager_advice_instance_id'), ['instance_id'], unique=False)

    op.create_table('received_information',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('provided_by_agency', sa.String(length=200), nullable=False),
    sa.Column('provided_by_person', sa.String(length=200), nullable=True),
    sa.Column('received_at', safeshare.core.records.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('without_consent', sa.Boolean(), nullable=False),
    sa.Column('reasons_given', sa.Text(), nullable=True),
    sa.Column('restrictions', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', safeshare.core.records.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_received_information_case_id_case_record')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_received_information_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], name=op.f('fk_received_information_recorded_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_received_information'))
    )
    with op.batch_alter_table('received_information', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_received_information_case_id'), ['case_id'], unique=False)

    op.create_table('scheme_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('scheme', sa.String(length=20), nullable=False),
    sa.Column('route', sa.String(length=30), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('applicant', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('subject', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('person_at_risk', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('children', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('linked_case_id', sa.Integer(), nullable=True),
    sa.Column('concern', sa.Text(), nullable=False),
    sa.Column('received_at', safeshare.core.records.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=False),
    sa.Column('completion_due_at', safeshare.core.records.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('initial_checks', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('identity_check', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('risk_assessment', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('decision', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('outcome_detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('exceptional_delay_reason', sa.Text(), nullable=True),
    sa.Column('completed_at', safeshare.core.records.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_scheme_application_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['linked_case_id'], ['case_record.id'], name=op.f('fk_scheme_application_linked_case_id_case_record')),
    sa.ForeignKeyConstraint(['received_by_id'], ['app_user.id'], name=op.f('fk_scheme_application_received_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheme_application')),
    sa.UniqueConstraint('reference', name=op.f('uq_scheme_application_reference'))
    )
    op.create_table('share_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('consent_record_id', sa.Integer(), nullable=True),
    sa.Column('consent_status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('grounds', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('public_interest', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('recipients', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('what_to_share', sa.Text(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('manager_advice_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', safeshare.core.records.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('informed_outcome', sa.String(length=40), nullable=True),
    sa.Column('informed_note', sa.Text(), nullable=True),
    sa.Column('informed_recorded_at', safeshare.core.records.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_share_decision_case_id_case_record')),
    sa.ForeignKeyConstraint(['consent_record_id'], ['consent_record.id'], name=op.f('fk_share_decision_consent_record_id_consent_record')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_share_decision_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['episode_id'], ['episode.id'], name=op.f('fk_share_decision_episode_id_episode')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_share_decision_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['manager_advice_id'], ['manager_advice.id'], name=op.f('fk_share_decision_manager_advice_id_manager_advice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_decision'))
    )
    with op.batch_alter_table('share_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_decision_case_id'), ['case_id'], unique=False)

    op.create_table('disclosure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('basis', sa.String(length=20), nullable=False),
    sa.Column('consent_record_id', sa.Integer(), nullable=True),
    sa.Column('share_decision_id', sa.Integer(), nullable=True),
    sa.Column('made_at', safeshare.core.records.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=False),
    sa.Column('recipient_agency', sa.String(length=200), nullable=False),
    sa.Column('recipient_contact', sa.String(length=200), nullable=True),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('recipient_told_consent_status', sa.Boolean(), nullable=True),
    sa.Column('decision_summary', sa.Text(), nullable=True),
    sa.Column('grounds', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('public_interest', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('restrictions_on_use', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_disclosure_case_id_case_record')),
    sa.ForeignKeyConstraint(['consent_record_id'], ['consent_record.id'], name=op.f('fk_disclosure_consent_record_id_consent_record')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_disclosure_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['made_by_id'], ['app_user.id'], name=op.f('fk_disclosure_made_by_id_app_user')),
    sa.ForeignKeyConstraint(['share_decision_id'], ['share_decision.id'], name=op.f('fk_disclosure_share_decision_id_share_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure'))
    )
    with op.batch_alter_table('disclosure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_case_id'), ['case_id'], unique=False)

    op.create_table('disclosure_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('disclosure_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('received_information_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['disclosure_id'], ['disclosure.id'], name=op.f('fk_disclosure_item_disclosure_id_disclosure')),
    sa.ForeignKeyConstraint(['received_information_id'], ['received_information.id'], name=op.f('fk_disclosure_item_received_information_id_received_information')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_item'))
    )
    with op.batch_alter_table('disclosure_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_item_disclosure_id'), ['disclosure_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('disclosure_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_item_disclosure_id'))

    op.drop_table('disclosure_item')
    with op.batch_alter_table('disclosure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_case_id'))

    op.drop_table('disclosure')
    with op.batch_alter_table('share_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_decision_case_id'))

    op.drop_table('share_decision')
    op.drop_table('scheme_application')
    with op.batch_alter_table('received_information', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_received_information_case_id'))

    op.drop_table('received_information')
    with op.batch_alter_table('manager_advice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manager_advice_instance_id'))
        batch_op.drop_index(batch_op.f('ix_manager_advice_case_id'))

    op.drop_table('manager_advice')
