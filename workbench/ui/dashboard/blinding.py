"""What a blinded outcome assessor may see on the dashboard, as the study configures it.

In this design only the BCI arm has BCI sessions, so a session, a BCI metric
or an adverse event's relatedness to the device tells the assessor the arm
(issue 22: the assessor saw the Session tab, BCI accuracy and device-related
adverse events while control participants had none). By default all three are
hidden from the blinded roles (:data:`workbench.records.BLINDED_ROLES`);
a study whose control arm also uses the device (a sham) may show them by
writing ``blinding.json`` in the workspace, e.g. ``{"bci_sessions": true}``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ...errors import Problem, ValidationError

#: The file in the workspace where the study says what blinded assessors may see.
SETTINGS_FILE = "blinding.json"


@dataclasses.dataclass(frozen=True)
class BlindedView:
    """What a blinded assessor may see (False: hidden, the default for each)."""

    #: The Session tab: sessions, signals, decoders' confusion matrices, gate events.
    bci_sessions: bool = False
    #: BCI performance tables and figures (accuracy, trials) on the participant's view.
    bci_metrics: bool = False
    #: Adverse events' relatedness to the device, and to the procedure with it (only the BCI arm has one, so
    #: either reveals the arm), and the reportable-event list they decide.
    device_relatedness: bool = False

    @classmethod
    def load(cls, workspace_root) -> "BlindedView":
        """The study's settings from ``<workspace>/blinding.json``; the defaults when there is none."""
        path = Path(workspace_root) / SETTINGS_FILE
        if not path.is_file():
            return cls()
        try:
            settings = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ValidationError([Problem(SETTINGS_FILE, str(err), "a JSON object of "
                                           + ", ".join(f"{f}: true/false" for f in cls.names()))],
                                  what="blinding settings") from None
        return cls.from_mapping(settings)

    @classmethod
    def from_mapping(cls, settings) -> "BlindedView":
        if not isinstance(settings, dict):
            raise ValidationError([Problem(SETTINGS_FILE, type(settings).__name__, "a JSON object of "
                                           + ", ".join(f"{f}: true/false" for f in cls.names()))],
                                  what="blinding settings")
        problems = [Problem(key, value, "true or false" if key in cls.names()
                            else "one of " + ", ".join(cls.names()))
                    for key, value in settings.items() if key not in cls.names() or not isinstance(value, bool)]
        if problems:
            raise ValidationError(problems, what="blinding settings")
        return cls(**settings)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))


#: What an unblinded role sees: everything.
EVERYTHING = BlindedView(bci_sessions=True, bci_metrics=True, device_relatedness=True)
