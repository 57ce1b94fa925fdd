"""LSL sessions: a resolver sees only the streams of its own session (liblsl's [lab] SessionID)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workbench.acquisition.lsl_config import SESSION_ENV, use_loopback
from workbench.errors import ValidationError

pytestmark = pytest.mark.lsl

OUTLET = """
import sys, time, pylsl
from workbench.acquisition.lsl_config import use_loopback
use_loopback(force=True)
o = pylsl.StreamOutlet(pylsl.StreamInfo(sys.argv[1], "EEG", 1, 100, "float32", sys.argv[1]))
print("ready", flush=True)
time.sleep(20)
"""
RESOLVE = """
import sys, pylsl
from workbench.acquisition.lsl_config import use_loopback
use_loopback(force=True)
print(sorted(s.name() for s in pylsl.resolve_byprop("name", sys.argv[1], minimum=1, timeout=3.0)))
"""


def _env(session):
    return {**os.environ, SESSION_ENV: session}


@pytest.mark.slow
def test_a_stream_is_seen_in_its_own_session_only(unique_name):
    outlet = subprocess.Popen([sys.executable, "-c", OUTLET, unique_name], env=_env(unique_name[-8:] + "-a"),
                              stdout=subprocess.PIPE, text=True)
    try:
        assert outlet.stdout.readline().strip() == "ready"
        seen = {}
        for session in ("a", "b"):
            out = subprocess.run([sys.executable, "-c", RESOLVE, unique_name], env=_env(unique_name[-8:] + "-" + session),
                                 capture_output=True, text=True, timeout=60)
            seen[session] = out.stdout.strip()
    finally:
        outlet.kill()
        outlet.wait()
    assert seen == {"a": f"['{unique_name}']", "b": "[]"}


def test_the_session_config_is_the_loopback_one_with_its_id(monkeypatch):
    monkeypatch.delenv("LSLAPICFG", raising=False)
    path = use_loopback(session="bench-2")
    text = open(path).read()
    assert "SessionID = bench-2" in text and "ResolveScope = machine" in text and "KnownPeers = {127.0.0.1}" in text
    monkeypatch.setenv("LSLAPICFG", "/etc/my-lab.cfg")
    assert use_loopback(session="bench-2") == "/etc/my-lab.cfg"  # the user's own configuration stays


@pytest.mark.parametrize("session", ["", "a b", "../x", "x" * 65])
def test_a_bad_session_id_is_refused_naming_it(session, monkeypatch):
    monkeypatch.delenv("LSLAPICFG", raising=False)
    if session == "":
        assert use_loopback(session=session).endswith("lsl_loopback.cfg")  # empty: liblsl's default session
        return
    with pytest.raises(ValidationError, match="LSL session"):
        use_loopback(session=session)
