"""Storage: the one way records go in and out of the database.

Second of the records package's layers (types -> storage -> trail -> access ->
the facade, ``workbench.records.Store``). Storage imports only the record
types: the schema is derived from them (``tables``), rows are converted to and
from them (``rows``), a batch is checked against what is stored before it is
written (``rules``, ``duplicates``), read-only frames are queried (``queries``),
engines are made (``engine``) and the schema is migrated (``migrate``).

It sits below the trail and access because both keep their own tables here
(``audit_log``, ``credentials``, ``auth_events``...) and read and write
records through it. What they decide is passed in, never imported: a blinded
user's engine carries a mark that every read honours (``blinded_reads``), a
site's visibility is a WHERE clause the caller gives (``rows.fetch``,
``queries.records_frame``). The migration scripts (``migrations/``) are loaded
by alembic by path and may use every layer (see ``migrations/env.py``).
"""
