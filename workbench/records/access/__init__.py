"""Access: who may log in, act, and read what.

Fourth of the records package's layers (types -> storage -> trail -> access ->
the facade, ``workbench.records.Store``). Passwords and logins (``auth``,
``lockout``), account management (``logins``: the store's account methods),
the site a record belongs to (``sites``), who is blind to the arm
(``blinding``), and on PostgreSQL each person's database role, the group
GRANTs and row-level policies (``pg_roles``) and the log of refused logins
(``pg_logins``).

It sits above the trail because managing accounts writes trail entries (an
account's creation, its signing key's registration) and PostgreSQL's GRANTs
name the trail's definer functions; it reads and writes its own tables
(``credentials``, ``auth_events``, ``db_logins``) through storage. Nothing
below imports it: what storage must honour (a blinded engine, a site's WHERE
clause) is handed down by the store.
"""
