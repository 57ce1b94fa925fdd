"""Passwords are stored as argon2id at RFC 9106's second recommended setting, whatever the tests use.

tests/conftest.py makes in-process hashes cheap for speed; a fresh process shows what a user's store writes.
"""

from __future__ import annotations

import re
import subprocess
import sys

from argon2 import PasswordHasher


def test_a_fresh_process_hashes_passwords_with_argon2id_at_the_recommended_cost():
    done = subprocess.run([sys.executable, "-c", "from workbench.records.access.auth import hash_password; "
                                                 "print(hash_password('correct horse battery staple'))"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    stored = done.stdout.strip()
    m = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$\S+", stored)
    assert m, stored
    memory_kib, passes, lanes = map(int, m.groups())
    # RFC 9106 section 4, second recommended option: 64 MiB, 3 passes, 4 lanes
    assert memory_kib >= 64 * 1024 and passes >= 3 and lanes == 4
    assert PasswordHasher().verify(stored, "correct horse battery staple")
