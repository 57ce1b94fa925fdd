"""Record types: one validated, frozen dataclass per domain object, and what they share.

The bottom of the records package (order: types -> storage -> trail -> access ->
the facade, ``workbench.records.Store``). A record type knows its fields, their
labels and rules (``fields``, ``base``, ``identifiers``) and checks itself when it
is made; it imports nothing else of the package, because everything else is
built from it: storage derives one table per record type, the trail and access
write and guard records of these types. That is why the account, lock and
signature records live here too, while what acts on them (logging in, locking,
signing) lives above, in access and trail.

A few functions here act on a store passed in (``randomization.randomize``,
``consent.consent_status``): they use only its public methods, never import it.
"""
