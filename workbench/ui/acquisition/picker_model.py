"""The stream picker's model: what is visible, what is chosen, what is connected."""

from __future__ import annotations

from dataclasses import dataclass

from ...acquisition.discovery import StreamDescription, find_streams
from ...errors import Problem, ValidationError


@dataclass(frozen=True)
class ConnectionState:
    """One connected stream as the picker shows it."""

    name: str
    connected: bool
    n_samples: int
    n_events: int


class StreamPickerModel:
    """Find streams, choose some, connect to them.

    Parameters
    ----------
    timeout : float
        Seconds each refresh listens for streams.
    """

    def __init__(self, timeout: float = 1.0, *, stream_type: str | None = None) -> None:
        self.timeout = timeout
        self.streams: tuple[StreamDescription, ...] = ()
        self.selected: tuple[str, ...] = ()  # uids
        self.connections: list = []
        self.stream_type = stream_type  # None: every type

    @property
    def types(self) -> tuple[str, ...]:
        """The stream types found by the last refresh, sorted (EEG, Markers, ...)."""
        return tuple(sorted({d.stype for d in self.streams}))

    def set_type(self, stream_type: str | None) -> None:
        """Show only streams of this LSL type (None: all); chosen streams of other types are unchosen."""
        self.stream_type = stream_type or None
        shown = {d.uid for d in self.visible}
        self.selected = tuple(u for u in self.selected if u in shown)

    @property
    def visible(self) -> tuple[StreamDescription, ...]:
        """The streams listed: those of the chosen type, or all."""
        if self.stream_type is None:
            return self.streams
        return tuple(d for d in self.streams if d.stype == self.stream_type)

    def refresh(self) -> tuple[StreamDescription, ...]:
        """List the visible streams again; a chosen stream that went away is unchosen."""
        self.streams = tuple(find_streams(self.timeout))
        uids = {d.uid for d in self.streams}
        self.selected = tuple(u for u in self.selected if u in uids)
        return self.streams

    def select(self, uids) -> None:
        uids = tuple(uids)
        known = {d.uid for d in self.visible}
        bad = [u for u in uids if u not in known]
        if bad:
            raise ValidationError([Problem("uids", bad, "uids of streams listed by refresh() (and of the chosen "
                                                        "type)")], what="stream choice")
        self.selected = uids

    @property
    def selected_streams(self) -> tuple[StreamDescription, ...]:
        return tuple(d for d in self.streams if d.uid in self.selected)

    def connect_selected(self, bufsize: float = 10.0) -> list:
        """Open a Stream (regular rate) or MarkerStream (irregular) for each chosen stream."""
        from ...acquisition.markers import MarkerStream
        from ...acquisition.stream import Stream

        opened = []
        for d in self.selected_streams:
            if any(c.description.uid == d.uid for c in self.connections):
                continue
            source = dict(source_id=d.source_id) if d.source_id else {}
            conn = Stream(d.name, bufsize=bufsize, **source) if d.regular and d.dtype != "string" else MarkerStream(d.name, **source)
            opened.append(conn.connect())
        self.connections.extend(opened)
        return opened

    def disconnect_all(self) -> None:
        for c in self.connections:
            c.disconnect()
        self.connections = []

    def states(self) -> tuple[ConnectionState, ...]:
        return tuple(ConnectionState(c.name, c.connected, c.n_samples_received, len(c.events)) for c in self.connections)
