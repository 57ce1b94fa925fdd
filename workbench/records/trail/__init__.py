"""The trail: the keyed, signed audit trail and what rests on it.

Third of the records package's layers (types -> storage -> trail -> access ->
the facade, ``workbench.records.Store``). ``audit`` appends HMAC-chained
entries for every write and verifies them (``findings``), ``keys`` keeps the
audit key outside the database, ``signing`` derives each person's Ed25519
key, ``anchors`` pin the head outside the database, ``locks`` and
``signatures`` lock and sign through a store passed in; on PostgreSQL the
owner's definer functions write the trail (``pg_definer``) and every row
change is cross-checked against it (``pg_crosscheck``).

It sits above storage (its tables and row conversions live there) and below
access: logging in and managing accounts write trail entries (key
registrations, account changes) and PostgreSQL's GRANTs name the definer
functions, while the trail needs nothing from access: the writer is given
the ``User`` who acts.
"""
