"""``workbench db``: create or migrate the study database, load the demo study.

Accounts are managed with ``workbench user``.
"""

from __future__ import annotations

from ._user import add_user_options, db_url, open_store


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
    if args.file is not None:  # a bad file stops before the login and before anything is written
        from ._checks import check_json_file

        check_json_file(args.file, "--file")
    with open_store(args) as store:
        n = seed_demo(store, args.file or DEMO_STUDY)
        print(f"loaded {n} records from {args.file or DEMO_STUDY} as {store.user.name} ({store.user.role})")
    return 0
