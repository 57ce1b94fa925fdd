"""Describe and open LSL outlets with the XDF meta-data conventions.

One :class:`StreamSpec` record per outlet; :func:`open_outlet` turns it into a
``pylsl.StreamOutlet`` whose description carries
``desc/channels/channel/{label,type,unit}`` and
``desc/acquisition/{manufacturer,model}`` (github.com/sccn/xdf/wiki/Meta-Data).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Problem, ValidationError

#: LSL channel formats the player can open (pylsl names).
CHANNEL_FORMATS = ("float32", "double64", "string", "int32", "int16", "int8", "int64")

MANUFACTURER = "sci-bci-workbench"


@dataclass(frozen=True)
class StreamSpec:
    """What one outlet announces: name, type, rate, format, channels.

    ``sfreq`` 0 means irregular (markers).
    """

    name: str
    type: str
    sfreq: float
    channel_format: str
    source_id: str
    ch_names: tuple[str, ...]
    ch_types: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    manufacturer: str = MANUFACTURER
    model: str = ""

    def __post_init__(self) -> None:
        problems = []
        if not self.name:
            problems.append(Problem("name", self.name, "a non-empty stream name"))
        if self.channel_format not in CHANNEL_FORMATS:
            problems.append(Problem("channel_format", self.channel_format, ", ".join(CHANNEL_FORMATS)))
        if not self.ch_names:
            problems.append(Problem("ch_names", self.ch_names, "at least one channel"))
        for field in ("ch_types", "units"):
            value = getattr(self, field)
            if value and len(value) != len(self.ch_names):
                problems.append(Problem(field, value, f"empty or one entry per channel ({len(self.ch_names)})"))
        if self.sfreq < 0:
            problems.append(Problem("sfreq", self.sfreq, "a rate >= 0 (0 = irregular)"))
        if problems:
            raise ValidationError(problems, what=f"stream {self.name!r}")

    @property
    def n_channels(self) -> int:
        return len(self.ch_names)


@dataclass
class Lane:
    """One outlet of a player: what it announces and what feeds it.

    ``feed`` is None for a marker outlet filled by the signal's feed
    (synthetic and EDF/BDF/BrainVision/FIF replay).
    """

    spec: StreamSpec
    feed: object | None
    is_signal: bool
    is_marker: bool


def marker_spec(name: str, source_id: str, model: str = "") -> StreamSpec:
    """A one-channel string stream at irregular rate: the cue/annotation markers."""
    return StreamSpec(name, "Markers", 0.0, "string", source_id, ("Marker",), ("stim",), ("",), model=model)


def open_outlet(spec: StreamSpec, max_buffered: int = 360):
    """Create the ``pylsl.StreamOutlet`` for ``spec`` (discoverable at once)."""
    import pylsl

    info = pylsl.StreamInfo(
        spec.name, spec.type, spec.n_channels, spec.sfreq, spec.channel_format, spec.source_id
    )
    channels = info.desc().append_child("channels")
    for i, label in enumerate(spec.ch_names):
        ch = channels.append_child("channel")
        ch.append_child_value("label", label)
        if spec.ch_types and spec.ch_types[i]:
            ch.append_child_value("type", spec.ch_types[i])
        if spec.units and spec.units[i]:
            ch.append_child_value("unit", spec.units[i])
    acq = info.desc().append_child("acquisition")
    acq.append_child_value("manufacturer", spec.manufacturer or MANUFACTURER)
    if spec.model:
        acq.append_child_value("model", spec.model)
    return pylsl.StreamOutlet(info, max_buffered=max_buffered)
