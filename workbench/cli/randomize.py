"""``workbench randomize``: generate the concealed sequences, randomize a participant, list allocations.

Over the records API (records/types/randomization.py): the allocation role generates
the sequences and randomizes; the seed that opens the sealed slots is kept by
the allocator in a file outside the database (``--seed-file``, mode 0600),
never on the command line (``ps`` would show it to every local user). ``generate --seed N``
fixes the seed for a reproducible demonstration sequence (the demo study); a real
trial leaves it out and gets 63 bits from the operating system's secure generator.
Refusals (a participant without consent in force, not enrolled or already
randomized; an account that is not the allocator) exit 2 naming what is
wrong, and nothing is written: the allocation and the arm are one transaction.
"""

from __future__ import annotations

from ._user import add_user_options, open_store


def register(subparsers) -> None:
    parser = subparsers.add_parser("randomize", help="randomization: generate concealed sequences, randomize a "
                                                     "participant (allocator only), list allocations")
    sub = parser.add_subparsers(dest="randomize_command", metavar="ACTION", required=True)
    gen = sub.add_parser("generate", help="generate one sealed permuted-block sequence per stratum (site x AIS "
                                          "grade) before anyone is randomized")
    gen.add_argument("--study", required=True, help="protocol identifier, e.g. BCI-SCI-DEMO")
    gen.add_argument("--n-per-stratum", type=int, default=24, help="slots per stratum (default 24)")
    gen.add_argument("--seed-file", required=True, metavar="FILE",
                     help="new file the generated seed is written to (readable by you only); keep it: "
                          "randomizing needs it, and it lets an auditor regenerate the sequence")
    gen.add_argument("--seed", type=int, metavar="N",
                     help="a fixed seed instead of a secure random one, for a reproducible demonstration or "
                          "training sequence ONLY: anyone who knows it can foresee every allocation, so a real "
                          "trial leaves it out (the default draws 63 bits from the operating system's secure "
                          "generator); it is still written to --seed-file")
    add_user_options(gen, default_role="allocator")
    one = sub.add_parser("participant", help="randomize an enrolled participant whose consent is in force")
    one.add_argument("participant", help="pseudonym, e.g. SCI-001")
    one.add_argument("--seed-file", required=True, metavar="FILE", help="the file `randomize generate` wrote")
    add_user_options(one, default_role="allocator")
    show = sub.add_parser("list", help="allocations so far (the arm only for roles that may see it)")
    add_user_options(show, default_role="monitor")
    parser.set_defaults(func=run)


def run(args) -> int:
    import sys

    from ..errors import PermissionDeniedError, ValidationError
    from ._checks import OptionError

    try:
        if args.randomize_command == "generate":
            return _generate(args)
        if args.randomize_command == "participant":
            return _participant(args)
    except OptionError:
        raise
    except (ValidationError, PermissionDeniedError) as err:
        # A refusal the user must act on (consent, role, a second randomization): exit 2, nothing written.
        print(f"workbench randomize {args.randomize_command}: refused: {err}", file=sys.stderr)
        return 2
    return _list(args)


def read_seed(value: str) -> int:
    """The seed kept in ``--seed-file``: one decimal integer."""
    from pathlib import Path

    from ..errors import Problem
    from ._checks import OptionError

    path = Path(value).expanduser()
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise OptionError([Problem("--seed-file", value, f"a readable seed file ({err.__class__.__name__})")])
    if not text.isdigit() or not 0 <= int(text) < 2 ** 63:
        raise OptionError([Problem("--seed-file", value, "a file holding one integer in [0, 2**63)")])
    return int(text)


def check_seed(value: int, option: str) -> int:
    """A seed the sequence generator takes: an integer in [0, 2**63)."""
    from ..errors import Problem
    from ._checks import OptionError

    if not 0 <= value < 2 ** 63:
        raise OptionError([Problem(option, value, "an integer in [0, 2**63)")])
    return value


def _generate(args) -> int:
    import secrets

    from ..records.trail.keys import write_secret
    from ..records.types.randomization import generate_sequences
    from ._checks import check_new_file

    path = check_new_file(args.seed_file, "--seed-file")  # before anything is stored
    seed = secrets.randbelow(2 ** 63) if args.seed is None else check_seed(args.seed, "--seed")
    with open_store(args, "allocator") as store:
        sequences = generate_sequences(store, args.study, seed=seed, n_per_stratum=args.n_per_stratum)
    write_secret(path, f"{seed}\n")
    print(f"generated {len(sequences)} sealed sequences ({args.n_per_stratum} slots per stratum) for {args.study}; "
          f"seed kept in {path} (readable by you only; its SHA-256 commitment is stored)")
    return 0


def _participant(args) -> int:
    from ..records.types.randomization import randomize

    seed = read_seed(args.seed_file)
    with open_store(args, "allocator") as store:
        participant, allocation = randomize(store, args.participant, seed=seed)
    print(f"randomized {participant.id}: arm {allocation.arm} (slot {allocation.position} of "
          f"{allocation.sequence_id}, by {allocation.randomized_by})")
    return 0


def _list(args) -> int:
    from ..records import BLINDED_ROLES, Allocation

    with open_store(args, "monitor") as store:
        blind = store.user.role in BLINDED_ROLES
        allocations = sorted(store.find(Allocation), key=lambda a: (a.randomized_at, a.participant_id))
    if not allocations:
        print("no allocations")
        return 0
    print(f"{'participant':<12} {'stratum':<28} {'slot':>4}  {'randomized (UTC)':<17} {'arm'}")
    for a in allocations:
        arm = "concealed (blinded role)" if blind else a.arm
        print(f"{a.participant_id:<12} {a.sequence_id:<28} {a.position:>4}  "
              f"{a.randomized_at:%Y-%m-%d %H:%M} {arm}")
    return 0
