"""`workbench warmup` and OnlineDecoder.warm() on an empty numba cache: the first live updates compile nothing.

Kept apart from tests/session/test_cold_start.py, which runs whole trial days on
LSL: these need no stream, so the test scheduler (tests/conftest.py) may run
them beside the LSL tests on the other worker.
"""

import json
import os
import subprocess
import sys

import pytest

from .conftest import REPO

def _cold_env(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    env.pop("WORKBENCH_DB_URL", None)
    (tmp_path / "numba-cache").mkdir()
    return env


# Fits a CSP and an intracortical decoder (shapes unlike the warm-up's), then counts what numba compiles
# from then on: with "cli", after `workbench warmup`'s steps, nothing is warmed by the test itself; with
# "warm", each online decoder's own warm() runs first. Either way the first updates must compile nothing.
FIRST_UPDATES = """
import json, sys
import numpy as np
from numba.core import event

mode = sys.argv[1]
signatures = {}  # workbench kernel -> the argument types it was compiled for, literals as their plain type


class Signatures(event.Listener):
    def on_start(self, ev):
        from numba.core.types import unliteral

        kernel = ev.data.get("dispatcher")
        name = f"{getattr(kernel, '__module__', '')}.{getattr(kernel, '__qualname__', '?')}"
        if name.startswith("workbench."):  # numba's own overloads compile once per call site by design
            signatures.setdefault(name, []).append(str(tuple(unliteral(a) for a in ev.data["args"])))

    def on_end(self, ev):
        pass


if mode == "cli":
    from workbench.cli.warmup import warm_kernels
    with event.install_listener("numba:compile", Signatures()):
        warm_kernels(progress=False)

compiled = []

class Compiles(event.Listener):
    def on_start(self, ev):
        compiled.append(getattr(ev.data.get("dispatcher"), "__name__", "?"))

    def on_end(self, ev):
        pass

if mode == "cli":
    event.register("numba:compile", Compiles())  # fitting too compiles nothing after the warm-up

from workbench.decoding import CSP, LDA, Decoder, IIRFilter, KalmanDecoder, SpikeFeatures

rng = np.random.default_rng(1)
x = rng.standard_normal((4000, 6))
csp = Decoder([IIRFilter(8.0, 30.0, sfreq=250.0)], [CSP(4), LDA()], sfreq=250.0,
              ch_names=[f"c{i}" for i in range(6)], window=250, step=25)
ends = np.arange(249, 4000, 125)
csp.fit([x], [ends], np.arange(len(ends)) % 2)
s = rng.standard_normal((90 * 30, 5)) * 10.0
spikes = Decoder([IIRFilter(300.0, 1200.0, sfreq=3000.0, order=2)], [SpikeFeatures(k=3.0), KalmanDecoder()],
                 sfreq=3000.0, ch_names=[f"e{i}" for i in range(5)], window=30, step=30)
spikes.fit([s], [np.arange(29, len(s), 30)], rng.standard_normal((90, 2)).cumsum(axis=0))
out = {}
for name, dec, n_chunk in (("spikes", spikes, 12), ("csp", csp, 1)):  # no path warms the next
    online = dec.online()
    if mode == "warm":
        online.warm(n_chunk)
        event.register("numba:compile", Compiles())
    before = len(compiled)
    # the first chunk runs stage by stage, the next ones fused, and a NaN takes the repair path: all live
    for k in range(3):
        chunk = rng.standard_normal((n_chunk, dec.n_channels))
        chunk[-1, 0] = np.nan if k == 2 else chunk[-1, 0]
        online.update(np.ascontiguousarray(chunk))
    out[name] = compiled[before:]
twice = {k: v for k, v in signatures.items() if len(v) != len(set(v))}
print(json.dumps({"first_updates": out, "all": compiled, "compiled_again_for_a_literal": twice}))
"""


@pytest.mark.slow
@pytest.mark.timeout(1500)
@pytest.mark.parametrize("mode", ["warm", "cli"])
def test_the_first_update_of_the_csp_and_intracortical_paths_compiles_nothing(mode, tmp_path):
    """On an empty numba cache: after OnlineDecoder.warm(), or after `workbench warmup`'s steps (with no
    warm() of the test's own), the first live updates of each online path compile nothing (without either,
    they compile the non-finite checks and the fused kernel: the listener does see compiles)."""
    out = subprocess.run([sys.executable, "-c", FIRST_UPDATES, mode], cwd=REPO, capture_output=True, text=True,
                         timeout=1400, env=_cold_env(tmp_path))
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["first_updates"] == {"spikes": [], "csp": []}
    if mode == "cli":
        assert result["all"] == [], "fitting after the warm-up compiled too"
        # numba compiles a callee once more for each literal constant it is passed (a 0 at one call site, a
        # computed offset at another): that doubled the cold start's spike and filter kernels (147 -> 90 s)
        assert result["compiled_again_for_a_literal"] == {}
    assert any(os.scandir(tmp_path / "numba-cache")), "the cache folder was the one used"


def test_a_trial_day_warms_only_the_band_power_path_it_runs():
    from workbench.cli.warmup import warm_kernels

    labels = [label for label, _ in warm_kernels(progress=False, paths=("bandpower",))]
    assert len(labels) == 4 and labels[0].startswith("decoder fit")
    assert not any(word in label for label in labels for word in ("Riemannian", "CSP", "intracortical"))


def test_an_unknown_warm_up_path_is_refused_by_name():
    from workbench.cli.warmup import warm_kernels
    from workbench.errors import ValidationError

    with pytest.raises(ValidationError, match=r"paths: got \['bandpwr'\]; allowed: any of \['bandpower'"):
        warm_kernels(progress=False, paths=("bandpwr",))
