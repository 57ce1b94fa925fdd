"""Find LSL streams on the network within a bounded time.

A :class:`StreamDescription` is a plain record of what a stream announces; it
holds no liblsl handle, so it can be listed, compared, stored and shown in a
widget. :func:`find_streams` never waits longer than ``timeout`` plus
``info_timeout``, whatever the network does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pylsl

from ..errors import Problem, StreamNotFoundError, ValidationError
from ..utils._checks import _check_positive

#: liblsl channel-format codes (lsl_c.h ``lsl_channel_format_t``) -> names.
CHANNEL_FORMATS = {
    1: "float32",
    2: "double64",
    3: "string",
    4: "int32",
    5: "int16",
    6: "int8",
    7: "int64",
}


#: Seconds find_stream waits for a second stream with the same name: liblsl
#: answered the second of two same-named loopback outlets only after ~0.5 s.
_AMBIGUITY_WAIT = 0.7


@dataclass(frozen=True)
class StreamDescription:
    """What one LSL stream announces about itself.

    Attributes
    ----------
    name, stype : str
        Stream name and content type (``"EEG"``, ``"Markers"``, ...).
    n_channels : int
    ch_names : tuple of str
        Channel labels from the stream's ``desc/channels``; empty when the
        stream gives none or its full description did not arrive in time.
    sfreq : float
        Nominal sampling rate in Hz; 0.0 for irregular streams (markers).
    dtype : str
        Channel format: float32, double64, string, int32, int16, int8, int64.
    source_id, hostname, uid : str
        The source id survives a restart of the source (reconnection keys on
        it); the uid does not.
    """

    name: str
    stype: str
    n_channels: int
    ch_names: tuple[str, ...]
    sfreq: float
    dtype: str
    source_id: str
    hostname: str
    uid: str

    @property
    def regular(self) -> bool:
        """True when the stream has a nominal sampling rate."""
        return self.sfreq > 0

    def summary(self) -> str:
        """One line for listings: name, type, channels, rate, format, source, host."""
        rate = f"{self.sfreq:g} Hz" if self.regular else "irregular"
        return (
            f"{self.name} [{self.stype}] {self.n_channels} ch @ {rate}, {self.dtype}, "
            f"source_id={self.source_id or '-'}, host={self.hostname}"
        )


def describe(info: pylsl.StreamInfo, full: pylsl.StreamInfo | None = None) -> StreamDescription:
    """Build a :class:`StreamDescription` from a resolved (and optionally full) info."""
    labels = (full.get_channel_labels() if full is not None else None) or []
    ch_names = tuple(str(lab) for lab in labels if lab) if labels and all(labels) else ()
    return StreamDescription(
        name=info.name(),
        stype=info.type(),
        n_channels=int(info.channel_count()),
        ch_names=ch_names,
        sfreq=float(info.nominal_srate()),
        dtype=CHANNEL_FORMATS.get(info.channel_format(), str(info.channel_format())),
        source_id=info.source_id(),
        hostname=info.hostname(),
        uid=info.uid(),
    )


def _full_info(info: pylsl.StreamInfo, timeout: float) -> pylsl.StreamInfo | None:
    """The stream's full description (with ``desc``), or None if not in time."""
    if timeout <= 0:
        return None
    inlet = pylsl.StreamInlet(info, max_buflen=1, recover=False)
    try:
        return inlet.info(timeout=timeout)
    except (pylsl.util.TimeoutError, pylsl.util.LostError):
        return None
    finally:
        del inlet


def _matches(info: pylsl.StreamInfo, name, stype, source_id) -> bool:
    return (
        (name is None or info.name() == name)
        and (stype is None or info.type() == stype)
        and (source_id is None or info.source_id() == source_id)
    )


def resolve_infos(
    timeout: float = 1.0, *, name: str | None = None, stype: str | None = None, source_id: str | None = None
) -> list[pylsl.StreamInfo]:
    """Resolved liblsl infos matching the filters (low level; see :func:`find_streams`)."""
    _check_positive("timeout", timeout)
    infos = pylsl.resolve_streams(wait_time=timeout)
    found = [i for i in infos if _matches(i, name, stype, source_id)]
    # Several responses can come from one outlet (one per interface): keep one per uid.
    unique = {i.uid(): i for i in found}
    return sorted(unique.values(), key=lambda i: (i.name(), i.source_id(), i.uid()))


def find_streams(
    timeout: float = 1.0,
    *,
    name: str | None = None,
    stype: str | None = None,
    source_id: str | None = None,
    info_timeout: float = 1.0,
) -> list[StreamDescription]:
    """List every LSL stream visible from this machine.

    Parameters
    ----------
    timeout : float
        Seconds spent listening for streams' answers (> 0).
    name, stype, source_id : str | None
        Keep only streams with this exact name, type or source id.
    info_timeout : float
        Extra seconds, shared by all streams, to fetch full descriptions
        (channel labels). 0 skips them. The call returns within about
        ``timeout + info_timeout`` seconds in all cases.

    Returns
    -------
    list of StreamDescription
        Sorted by name then source id.
    """
    _check_positive("info_timeout", info_timeout, allow_zero=True)
    infos = resolve_infos(timeout, name=name, stype=stype, source_id=source_id)
    deadline = time.monotonic() + info_timeout
    out = []
    for info in infos:
        full = _full_info(info, deadline - time.monotonic())
        out.append(describe(info, full))
    return out


def find_stream(
    name: str | None = None,
    *,
    source_id: str | None = None,
    stype: str | None = None,
    timeout: float = 2.0,
) -> pylsl.StreamInfo:
    """Resolve exactly one stream by name and/or source id (used to open inlets).

    Raises
    ------
    StreamNotFoundError
        Nothing matched within ``timeout``; the message lists what is visible.
    ValidationError
        Several streams matched; the message lists their source ids.
    """
    if name is None and source_id is None:
        raise ValidationError([Problem("name/source_id", None, "a stream name or a source id")], what="stream")
    _check_positive("timeout", timeout)
    pred = " and ".join(
        f"{key}='{value}'" for key, value in (("name", name), ("source_id", source_id), ("type", stype)) if value
    )
    infos = pylsl.resolve_bypred(pred, minimum=1, timeout=timeout)
    if infos and source_id is None:
        # The first answer ends the wait; give a second same-named source a short
        # chance to answer too, so an ambiguous name is refused, not guessed.
        infos += pylsl.resolve_bypred(pred, minimum=2, timeout=_AMBIGUITY_WAIT)
    unique = {i.uid(): i for i in infos}
    if not unique:
        visible = sorted({i.name() for i in pylsl.resolve_streams(wait_time=min(timeout, 0.5))})
        raise StreamNotFoundError(
            f"no LSL stream with {pred} within {timeout:g} s; visible streams: "
            + (", ".join(repr(v) for v in visible) if visible else "none")
        )
    if len(unique) > 1:
        ids = sorted(f"{i.name()} (source_id={i.source_id()!r}, host={i.hostname()})" for i in unique.values())
        raise ValidationError(
            [Problem("stream", pred, "exactly one match; got " + "; ".join(ids) + " (give a source_id)")],
            what="stream selection",
        )
    return next(iter(unique.values()))
