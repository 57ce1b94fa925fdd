"""trial conduct (issue 11): adverse-event reporting fields, graded deviations, signatures, locks, randomization

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

Written by hand in the shape alembic autogenerate gives (checked by
tests/records/test_migrate.py against tables.py). Rows that exist before this
revision get ``imminent_risk``/``usade`` False and their deviations are graded
``major`` with a corrective action asking for review: an ungraded deviation is
treated as the more serious grade until someone reviews it.
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

UNGRADED = "to be reviewed: graded major by schema migration 0005 (recorded before deviations were graded)"


def upgrade() -> None:
    op.create_table('signatures',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('visit_id', sa.String(length=64), nullable=False),
    sa.Column('signer', sa.String(length=200), nullable=False),
    sa.Column('meaning', sa.String(length=200), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_signatures_visit_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signatures'))
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signatures_visit_id'), ['visit_id'], unique=False)

    op.create_table('locks',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('study_id', sa.String(length=64), nullable=False),
    sa.Column('visit_id', sa.String(length=64), nullable=True),
    sa.Column('locked_by', sa.String(length=200), nullable=False),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('unlocked_by', sa.String(length=200), nullable=True),
    sa.Column('unlocked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unlock_reason', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_locks_study_id')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_locks_visit_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locks'))
    )
    with op.batch_alter_table('locks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locks_study_id'), ['study_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_locks_visit_id'), ['visit_id'], unique=False)

    op.create_table('allocation_sequences',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('study_id', sa.String(length=64), nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('ais_grade', sa.String(length=200), nullable=False),
    sa.Column('arms', sa.JSON(), nullable=False),
    sa.Column('block_multiples', sa.JSON(), nullable=False),
    sa.Column('algorithm', sa.String(length=200), nullable=False),
    sa.Column('seed_sha256', sa.String(length=200), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('generated_by', sa.String(length=200), nullable=False),
    sa.Column('slots', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_allocation_sequences_site_id')),
    sa.ForeignKeyConstraint(['study_id'], ['studies.id'], name=op.f('fk_allocation_sequences_study_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_sequences')),
    sa.UniqueConstraint('study_id', 'site_id', 'ais_grade', name='uq_allocation_sequences_study_id_site_id_ais_grade')
    )
    with op.batch_alter_table('allocation_sequences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_sequences_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_sequences_study_id'), ['study_id'], unique=False)

    op.create_table('allocations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('sequence_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('arm', sa.String(length=200), nullable=False),
    sa.Column('randomized_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('randomized_by', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_allocations_participant_id')),
    sa.ForeignKeyConstraint(['sequence_id'], ['allocation_sequences.id'], name=op.f('fk_allocations_sequence_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocations')),
    sa.UniqueConstraint('participant_id', name='uq_allocations_participant_id'),
    sa.UniqueConstraint('sequence_id', 'position', name='uq_allocations_sequence_id_position')
    )
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocations_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocations_sequence_id'), ['sequence_id'], unique=False)

    with op.batch_alter_table('adverse_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seriousness_criteria', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('anticipated', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('usade', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('imminent_risk', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('awareness_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reported_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('follow_up', sa.String(length=200), nullable=True))

    with op.batch_alter_table('device_deficiencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imminent_risk', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('awareness_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reported_on', sa.Date(), nullable=True))

    with op.batch_alter_table('protocol_deviations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grade', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('corrective_action', sa.Text(), nullable=True))
    deviations = sa.table('protocol_deviations', sa.column('grade', sa.String), sa.column('corrective_action', sa.Text))
    op.execute(deviations.update().where(deviations.c.grade.is_(None)).values(grade='major', corrective_action=UNGRADED))
    with op.batch_alter_table('protocol_deviations', schema=None) as batch_op:
        batch_op.alter_column('grade', existing_type=sa.String(length=200), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('protocol_deviations', schema=None) as batch_op:
        batch_op.drop_column('corrective_action')
        batch_op.drop_column('grade')

    with op.batch_alter_table('device_deficiencies', schema=None) as batch_op:
        batch_op.drop_column('reported_on')
        batch_op.drop_column('awareness_date')
        batch_op.drop_column('imminent_risk')

    with op.batch_alter_table('adverse_events', schema=None) as batch_op:
        batch_op.drop_column('follow_up')
        batch_op.drop_column('reported_on')
        batch_op.drop_column('awareness_date')
        batch_op.drop_column('imminent_risk')
        batch_op.drop_column('usade')
        batch_op.drop_column('anticipated')
        batch_op.drop_column('seriousness_criteria')

    with op.batch_alter_table('locks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locks_visit_id'))
        batch_op.drop_index(batch_op.f('ix_locks_study_id'))
    op.drop_table('locks')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signatures_visit_id'))
    op.drop_table('signatures')
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocations_sequence_id'))
        batch_op.drop_index(batch_op.f('ix_allocations_participant_id'))
    op.drop_table('allocations')
    with op.batch_alter_table('allocation_sequences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_sequences_study_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_sequences_site_id'))
    op.drop_table('allocation_sequences')
