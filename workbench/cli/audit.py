"""``workbench audit``: verify the trail against the tables, or list a record's history."""

from __future__ import annotations

from ._user import add_user_options, open_store


def register(subparsers) -> None:
    parser = subparsers.add_parser("audit", help="audit trail: verify the hash chain and the tables; show history")
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="exit 1 and name the first broken entry if anything was altered")
    add_user_options(verify, default_role="monitor")
    log = sub.add_parser("log", help="print the trail (all of it, or one record's history)")
    log.add_argument("--entity", default=None, help="table name, e.g. participants (with --id)")
    log.add_argument("--id", dest="entity_id", default=None, help="record id, e.g. SCI-001 (with --entity)")
    add_user_options(log, default_role="monitor")
    parser.set_defaults(func=run)


def run(args) -> int:
    with open_store(args, "monitor") as store:
        if args.audit_command == "verify":
            report = store.verify_audit()
            print(report.summary())
            return 0 if report.ok else 1
        trail = _history(store, args.entity, args.entity_id)
    cols = ["seq", "ts", "user_name", "role", "action", "entity", "entity_id", "field", "old_value", "new_value",
            "reason"]
    print(trail[cols].to_string(index=False) if len(trail) else "no entries")
    return 0


def _history(store, entity, entity_id):
    from ..errors import Problem, ValidationError
    from ..records.tables import BY_TABLE

    if entity is None and entity_id is None:
        return store.audit_trail()
    if entity not in BY_TABLE or not entity_id:
        raise ValidationError([Problem("--entity/--id", (entity, entity_id),
                                       "both, --entity one of " + ", ".join(BY_TABLE))], what="audit log")
    return store.audit_trail(store.get(BY_TABLE[entity], entity_id))
