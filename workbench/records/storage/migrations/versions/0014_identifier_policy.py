"""the study's identifier policy stored in the study database (issue 24, item 7)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23

One table, ``identifier_policy``, holding at most one row: the patterns the
study's codes (pseudonyms, site codes, consent ids, device, montage and task
labels...) are checked against, and the labels exported with spaces
(``workbench.records.types.policy``). Written by the store like every record
(``Store.set_identifier_policy``), so each change is a keyed, signed trail
entry with who, when and why; read by every role. Created empty: a study
that has stored no policy keeps working under the process-level policy or the
defaults, exactly as before, and its trail replays unchanged. PostgreSQL: the
GRANTs (SELECT for every group, writes for the investigators) and the change
trigger come from ``env.py`` (``apply_privileges``), as for every record table.
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('identifier_policy',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('patterns', sa.JSON(), nullable=False),
    sa.Column('shown_labels', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identifier_policy'))
    )


def downgrade() -> None:
    op.drop_table('identifier_policy')
