"""Turn an LSL stream's XML description into an :class:`mne.Info`.

Channel labels, types and units come from ``desc/channels/channel`` as the
XDF metadata conventions define them (github.com/sccn/xdf/wiki/Meta-Data,
"channels" section: ``label``, ``type``, ``unit``). Missing labels become
``CH001...``; unknown types become ``misc``.
"""

from __future__ import annotations

from dataclasses import dataclass

import mne
import pylsl
from mne.io.constants import FIFF

#: LSL/XDF channel types (case-insensitive) -> MNE channel types.
LSL_TO_MNE_TYPE = {
    "eeg": "eeg",
    "emg": "emg",
    "ecog": "ecog",
    "seeg": "seeg",
    "ieeg": "seeg",
    "eog": "eog",
    "ecg": "ecg",
    "ekg": "ecg",
    "stim": "stim",
    "trigger": "stim",
    "markers": "stim",
    "misc": "misc",
    "resp": "resp",
    "bio": "bio",
}

#: Voltage unit strings (XDF meta-data "unit") -> FIFF unit multiplier of volts.
VOLTAGE_UNIT_MUL = {
    "v": FIFF.FIFF_UNITM_NONE, "volts": FIFF.FIFF_UNITM_NONE,
    "mv": FIFF.FIFF_UNITM_M, "millivolts": FIFF.FIFF_UNITM_M,
    "uv": FIFF.FIFF_UNITM_MU, "µv": FIFF.FIFF_UNITM_MU, "microvolts": FIFF.FIFF_UNITM_MU,
    "nv": FIFF.FIFF_UNITM_N, "nanovolts": FIFF.FIFF_UNITM_N,
}  # fmt: skip


@dataclass(frozen=True)
class ChannelLayout:
    """Channel names, MNE types and unit strings of one stream."""

    ch_names: tuple[str, ...]
    ch_types: tuple[str, ...]
    units: tuple[str, ...]


def read_layout(info: pylsl.StreamInfo) -> ChannelLayout:
    """Channel names, types and units from a full stream description."""
    n = info.channel_count()
    labels = info.get_channel_labels() or [None] * n
    types = info.get_channel_types() or [None] * n
    units = info.get_channel_units() or [None] * n
    default_type = LSL_TO_MNE_TYPE.get(info.type().lower(), "misc")
    names = [lab if lab else f"CH{i + 1:03d}" for i, lab in enumerate(labels)]
    # MNE needs unique names; a duplicated label gets its index appended.
    seen: dict[str, int] = {}
    for i, nm in enumerate(names):
        if nm in seen:
            names[i] = f"{nm}-{i + 1}"
        seen[names[i]] = i
    ch_types = [LSL_TO_MNE_TYPE.get((t or "").lower(), default_type) if t else default_type for t in types]
    return ChannelLayout(tuple(names), tuple(ch_types), tuple(u or "" for u in units))


def build_info(info: pylsl.StreamInfo) -> mne.Info:
    """An :class:`mne.Info` for a regular stream: names, types, rate and units.

    Live samples are passed on unscaled, exactly as the amplifier sent them;
    a voltage unit is recorded as the channel's FIFF ``unit_mul`` (e.g. -6
    for microvolts), and every unit string is also in ``Stream.units``.
    """
    layout = read_layout(info)
    minfo = mne.create_info(list(layout.ch_names), info.nominal_srate(), list(layout.ch_types))
    for ch, unit in zip(minfo["chs"], layout.units):
        mul = VOLTAGE_UNIT_MUL.get(unit.strip().lower())
        if mul is not None:
            ch["unit_mul"] = mul  # entries of info["chs"] are plain dicts, edited in place
    return minfo
