"""``workbench db``: create or migrate the study database, load the demo study, show or set its identifier policy.

Accounts are managed with ``workbench user``.
"""

from __future__ import annotations

import json
import os

from ._user import add_user_options, db_url, open_store


#: The code kinds of ``workbench.records.types.identifiers.DEFAULT_PATTERNS`` (not imported here: --help
#: stays light; tests/records/test_cli_policy.py checks the two agree).
CODE_KINDS = ("pseudonym", "site", "consent_form", "record_id", "staff", "device", "montage", "task")


def register(subparsers) -> None:
    parser = subparsers.add_parser("db", help="study database: upgrade the schema, load the demo study")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", help="create the database or migrate it to the newest schema "
                                        "(whoever can write the database file or owns the PostgreSQL database)")
    up.add_argument("--db-url", default=None,
                    help="SQLAlchemy URL (default: $WORKBENCH_DB_URL or the workspace's SQLite file)")
    seed = sub.add_parser("seed-demo", help="load the pseudonymised demo study (data_samples/demo_study)")
    add_user_options(seed, default_role="investigator")
    seed.add_argument("--file", default=None, help="study JSON to load instead of the demo study")
    policy = sub.add_parser("policy", help="the study's identifier policy: the patterns codes (pseudonyms, site "
                                           "codes, consent ids, device, montage and task labels) must match")
    psub = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    show = psub.add_parser("show", help="print the policy stored in the study database (JSON; any role)")
    add_user_options(show)
    put = psub.add_parser("set", help="store a new policy (a study-wide investigator; refused, with the first "
                                      "offending records listed, if stored records do not match it)")
    put.add_argument("--file", default=None, metavar="JSON",
                     help='policy file: {"patterns": {"pseudonym": "..."}, "shown_labels": ["studies.title"]}; '
                          "kinds it leaves out keep the default pattern")
    put.add_argument("--pattern", action="append", default=[], metavar="KIND=REGEX",
                     help="set one kind's pattern on top of the stored policy (or of --file); repeatable; kinds: "
                          + ", ".join(CODE_KINDS))
    put.add_argument("--reason", required=True, help="why the policy changes (kept in the audit trail)")
    add_user_options(put, default_role="investigator")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..records.demo import DEMO_STUDY, seed_demo
    from ..records.storage.engine import create_engine
    from ..records.storage.migrate import upgrade_database

    if args.db_command == "upgrade":
        url = db_url(args)
        engine = create_engine(url)
        try:
            rev = upgrade_database(engine, workspace=args.workspace)
            print(f"study database at schema revision {rev}: {engine.url.render_as_string(hide_password=True)}")
        finally:
            engine.dispose()
        return 0
    if args.db_command == "policy":
        return _policy(args)
    if args.file is not None:  # a bad file stops before the login and before anything is written
        from ._checks import check_json_file

        check_json_file(args.file, "--file")
    with open_store(args) as store:
        n = seed_demo(store, args.file or DEMO_STUDY)
        print(f"loaded {n} records from {args.file or DEMO_STUDY} as {store.user.name} ({store.user.role})")
    return 0


def _policy(args) -> int:
    from ..records.types.identifiers import POLICY_VAR, IdentifierPolicy, policy_to_mapping

    new = _policy_options(args) if args.policy_command == "set" else None  # bad options stop before the login
    # The study's stored policy is what counts: a different $WORKBENCH_IDENTIFIER_POLICY would refuse the
    # login, and this is the command to see or fix that, so it is set aside here (and reported below).
    env_file = os.environ.pop(POLICY_VAR, None)
    try:
        with open_store(args) as store:
            if args.policy_command == "show":
                stored = store.identifier_policy
                final = stored or IdentifierPolicy()
                print(json.dumps(policy_to_mapping(final), indent=2))
                if stored is None:
                    print("(no policy stored in this study database: the defaults above apply, or "
                          f"${POLICY_VAR}; an investigator stores one with `workbench db policy set`)")
            else:
                before = store.identifier_policy
                final = new(before or IdentifierPolicy())
                store.set_identifier_policy(final, reason=args.reason)
                changed = [k for k in final.patterns if before is None or before.patterns.get(k) != final.patterns[k]]
                if before is not None and not changed and before.shown_labels == final.shown_labels:
                    print("the study's identifier policy is already this one: nothing written")
                else:
                    print(f"identifier policy stored by {store.user.name} ({store.user.role})"
                          + (f"; patterns changed: {', '.join(changed)}" if before is not None and changed else ""))
    finally:
        if env_file is not None:
            os.environ[POLICY_VAR] = env_file
    if env_file is not None:
        from ..records.types.identifiers import policy_from_file

        try:
            differs = policy_from_file(env_file) != final
        except ValueError:  # ValidationError: an unreadable file differs too
            differs = True
        if differs:
            print(f"note: ${POLICY_VAR} ({env_file}) differs from the study's policy: logins with it set are "
                  "refused; unset it")
    return 0


def _policy_options(args):
    """``--file`` and ``--pattern`` checked now; a function making the new policy from the stored one."""
    from ..errors import Problem, ValidationError
    from ..records.types.identifiers import policy_from_mapping
    from ._checks import OptionError, check_json_file

    if args.file is None and not args.pattern:
        raise OptionError([Problem("--file/--pattern", None, "a policy file, or at least one --pattern KIND=REGEX")],
                          what="db policy set")
    mapping = None
    if args.file is not None:
        path = check_json_file(args.file, "--file")
        mapping = json.loads(path.read_text(encoding="utf-8"))
    patterns = {}
    for item in args.pattern:
        kind, sep, regex = item.partition("=")
        if not sep or kind not in CODE_KINDS or not regex:
            raise OptionError([Problem("--pattern", item, "KIND=REGEX with KIND one of "
                                       + ", ".join(CODE_KINDS))], what="db policy set")
        patterns[kind] = regex

    def option_error(err: ValidationError, option: str) -> OptionError:
        return OptionError([Problem(f"{option} {p.field}", p.value, p.allowed) for p in err.problems],
                           what="db policy set")

    try:  # the file alone, then the patterns, so each problem names the option it came from
        from_file = policy_from_mapping(mapping) if mapping is not None else None
    except ValidationError as err:
        raise option_error(err, "--file") from None
    try:
        policy_from_mapping({"patterns": patterns})
    except ValidationError as err:
        raise option_error(err, "--pattern") from None

    def make(stored):
        base = from_file or stored
        return policy_from_mapping({"patterns": {**base.patterns, **patterns},
                                    "shown_labels": sorted(base.shown_labels)})

    return make
