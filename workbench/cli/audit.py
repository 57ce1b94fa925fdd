"""``workbench audit``: verify the trail (against anchors too), anchor its head, or list a record's history."""

from __future__ import annotations

from ._user import add_user_options, open_store


def register(subparsers) -> None:
    parser = subparsers.add_parser("audit", help="audit trail: verify the keyed chain, the tables and anchors; "
                                                 "anchor the head; show history")
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="exit 1 and name the first broken entry if anything was altered")
    verify.add_argument("--anchor", nargs="+", default=[], metavar="FILE",
                        help="anchor files written by `workbench audit anchor`: a trail shorter than, or "
                             "disagreeing with, any of them is reported (an older copy restored)")
    add_user_options(verify, default_role="monitor")
    anchor = sub.add_parser("anchor", help="write the trail's head (entry number, hash, time) for the trial "
                                           "master file, after checking the trail")
    anchor.add_argument("--out", required=True, metavar="FILE", help="new file to write (never overwritten)")
    add_user_options(anchor, default_role="monitor")
    log = sub.add_parser("log", help="print the trail (all of it, or one record's history)")
    log.add_argument("--entity", default=None, help="table name, e.g. participants (with --id)")
    log.add_argument("--id", dest="entity_id", default=None, help="record id, e.g. SCI-001 (with --entity)")
    add_user_options(log, default_role="monitor")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..records.trail.anchors import read_anchor, write_anchor

    if args.audit_command == "verify":
        anchors = [read_anchor(f) for f in args.anchor]  # a bad anchor file stops before any login
    if args.audit_command == "anchor":  # so does an --out that cannot be written
        from ._checks import check_new_file

        check_new_file(args.out, "--out")
    with open_store(args, "monitor") as store:
        if args.audit_command == "verify":
            report = store.verify_audit(anchors)
            print(report.summary() + (f" (checked against {len(anchors)} anchor(s))" if anchors and report.ok else ""))
            return 0 if report.ok else 1
        if args.audit_command == "anchor":
            report = store.verify_audit()
            if not report.ok:
                print(report.summary())
                print("no anchor written: an anchor of a broken trail would vouch for it")
                return 1
            anchor = store.anchor()
            path = write_anchor(anchor, args.out)
            also = f", access log event #{anchor.access_seq}" if anchor.access_seq else ""
            print(f"anchored entry #{anchor.seq} ({anchor.hash}){also} at {anchor.time} in {path}")
            return 0
        trail = _history(store, args.entity, args.entity_id)
    cols = ["seq", "ts", "user_name", "role", "action", "entity", "entity_id", "field", "old_value", "new_value",
            "reason"]
    print(trail[cols].to_string(index=False) if len(trail) else "no entries")
    return 0


def _history(store, entity, entity_id):
    from ..errors import Problem
    from ..records.storage.tables import BY_TABLE
    from ._checks import OptionError

    if entity is None and entity_id is None:
        return store.audit_trail()
    if entity not in BY_TABLE or not entity_id:
        raise OptionError([Problem("--entity/--id", (entity, entity_id),
                                       "both, --entity one of " + ", ".join(BY_TABLE))], what="audit log")
    return store.audit_trail(store.get(BY_TABLE[entity], entity_id))
