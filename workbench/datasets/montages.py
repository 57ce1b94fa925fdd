"""The simulated amplifiers' montages: channel names, types, rates and where the sources sit.

A :class:`Montage` is a frozen record. Its spatial weights say how strongly each
generator (left/right sensorimotor cortex, eyes, temporal muscles) reaches each
channel; :mod:`workbench.datasets.synthetic` mixes the generators through them.

Sources of the numbers
----------------------
- EEG positions: the 10-05 system (Oostenveld & Praamstra 2001, Clin
  Neurophysiol 112:713) as shipped with MNE-Python (``colin27_1005``); the 64
  labels are those of the BCI2000 64-channel cap used by PhysioNet's eegmmidb.
- Hand area of sensorimotor cortex under C3/C4 (Pfurtscheller & Lopes da Silva
  1999, Clin Neurophysiol 110:1842, Fig. 1).
- Spread of a scalp-projected cortical source: a few centimetres
  (Nunez & Srinivasan 2006, *Electric Fields of the Brain*, ch. 7); 3 cm here.
- ECoG strip: 1 cm contact pitch, as in Crone et al. 1998 (Brain 121:2301).
- Utah array: 96 recording electrodes, 30 kHz broadband (Blackrock NeuroPort, as
  used by BrainGate, Hochberg et al. 2006, Nature 442:164).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np

#: BCI2000 / eegmmidb 64-channel cap, in the order of that database.
_EEG64 = (
    "FC5 FC3 FC1 FCz FC2 FC4 FC6 C5 C3 C1 Cz C2 C4 C6 CP5 CP3 CP1 CPz CP2 CP4 CP6 "
    "Fp1 Fpz Fp2 AF7 AF3 AFz AF4 AF8 F7 F5 F3 F1 Fz F2 F4 F6 F8 FT7 FT8 T7 T8 T9 T10 "
    "TP7 TP8 P7 P5 P3 P1 Pz P2 P4 P6 P8 PO7 PO3 POz PO4 PO8 O1 Oz O2 Iz"
).split()

#: Generators every montage answers for (rows of ``Montage.weights``).
SOURCES = ("motor_left", "motor_right", "eyes", "muscle")


@dataclass(frozen=True)
class Montage:
    """One simulated amplifier layout.

    Attributes
    ----------
    name : str
        ``"eeg-64"``, ``"ecog-8"`` or ``"utah-96"``.
    ch_names : tuple of str
    ch_type : str
        MNE channel type of every channel (``"eeg"``, ``"ecog"``, ``"seeg"``).
    stream_type : str
        LSL stream type (``"EEG"``, ``"ECoG"``, ``"Neural"``).
    sfreq : float
        Default sampling rate in Hz.
    min_sfreq : float
        Lowest rate that still carries the simulated bands (high gamma to 150 Hz,
        spikes to about 5 kHz).
    motor_left, motor_right : str
        The channel nearest the left / right hand area (C3/C4-like); tests and
        notebooks measure desynchronization there.
    weights : ndarray, shape (4, n_channels)
        Gain from each generator in :data:`SOURCES` to each channel (0..1).
    """

    name: str
    ch_names: tuple[str, ...]
    ch_type: str
    stream_type: str
    sfreq: float
    min_sfreq: float
    motor_left: str
    motor_right: str
    weights: np.ndarray = field(repr=False, compare=False)

    @property
    def n_channels(self) -> int:
        return len(self.ch_names)


def _gauss(dist: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * (dist / sigma) ** 2)


@cache
def _eeg64() -> Montage:
    import mne  # positions only; imported here so `import workbench.datasets` stays light

    pos = mne.channels.make_standard_montage("colin27_1005").get_positions()["ch_pos"]
    xyz = np.array([pos[name] for name in _EEG64])
    sigma = 0.03  # 3 cm spread of a cortical source on the scalp (Nunez & Srinivasan 2006)
    left = _gauss(np.linalg.norm(xyz - pos["C3"], axis=1), sigma)
    right = _gauss(np.linalg.norm(xyz - pos["C4"], axis=1), sigma)
    # Blink potentials fall off from the orbits towards the back of the head
    # (about halving per 4-5 cm: Lins et al. 1993, Brain Topogr 6:51).
    eyes_center = (pos["Fp1"] + pos["Fp2"]) / 2 + np.array([0.0, 0.02, -0.02])
    eyes = _gauss(np.linalg.norm(xyz - eyes_center, axis=1), 0.045)
    # Temporalis/masseter EMG dominates the temporal rim channels (Goncharova
    # et al. 2003, Clin Neurophysiol 114:1580).
    muscle = np.array([1.0 if n in {"T7", "T8", "T9", "T10", "FT7", "FT8", "TP7", "TP8"} else 0.0 for n in _EEG64])
    muscle += np.array([0.4 if n in {"F7", "F8", "P7", "P8", "C5", "C6"} else 0.0 for n in _EEG64])
    weights = np.vstack([left, right, eyes, muscle])
    weights.setflags(write=False)
    return Montage("eeg-64", tuple(_EEG64), "eeg", "EEG", 500.0, 250.0, "C3", "C4", weights)


@cache
def _ecog8() -> Montage:
    names = tuple(f"ECOG{i}" for i in range(1, 9))
    # A 1x8 strip across left sensorimotor cortex (1 cm pitch); the hand area
    # lies under contacts 4-5, the right hemisphere is out of reach.
    contact = np.arange(8.0)
    left = _gauss(contact - 3.5, 1.5)
    weights = np.vstack([left, np.zeros(8), np.zeros(8), np.zeros(8)])
    weights.setflags(write=False)
    return Montage("ecog-8", names, "ecog", "ECoG", 1000.0, 400.0, "ECOG4", "ECOG8", weights)


@cache
def _utah96() -> Montage:
    names = tuple(f"elec{i}" for i in range(1, 97))
    # The 4x4 mm array sits in the left hand knob: every electrode sees the
    # same local field potential, with some spread in gain.
    rng = np.random.default_rng(96)
    left = 0.7 + 0.3 * rng.random(96)
    weights = np.vstack([left, np.zeros(96), np.zeros(96), np.zeros(96)])
    weights.setflags(write=False)
    return Montage("utah-96", names, "seeg", "Neural", 30000.0, 20000.0, "elec1", "elec96", weights)


_BUILDERS = {"eeg-64": _eeg64, "ecog-8": _ecog8, "utah-96": _utah96}


class _Montages(Mapping):
    """Read-only name -> :class:`Montage`, each built on first use (EEG positions load MNE)."""

    def __getitem__(self, key: str) -> Montage:
        return _BUILDERS[key]()  # each builder is cached

    def __iter__(self):
        return iter(_BUILDERS)

    def __len__(self) -> int:
        return len(_BUILDERS)


#: Every montage by name: ``MONTAGES["eeg-64"].ch_names``.
MONTAGES: Mapping[str, Montage] = _Montages()


def get_montage(name: str) -> Montage:
    """Return the montage called ``name`` or raise a ValidationError listing the choices."""
    from ..utils._checks import _check_option

    _check_option("montage", name, list(_BUILDERS))
    return MONTAGES[name]
