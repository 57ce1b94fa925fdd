"""Acquisition widgets: thin views over tested models.

- :class:`StreamPicker` over :class:`StreamPickerModel` (find, choose, connect);
- :class:`ScopeWidget` over :class:`ScopeModel` (decimated traces, quality, markers);
- :class:`RecordControl` over :class:`RecordControlModel` (runs of a LabRecorder Recorder).

The models import no widget library; the widgets hold no logic worth testing
apart from what they display.
"""

from .picker import StreamPicker
from .picker_model import StreamPickerModel
from .record_control import RecordControl
from .record_control_model import RecordControlModel, RunView
from .scope import ScopeWidget
from .scope_model import ScopeFrame, ScopeModel

__all__ = ["RecordControl", "RecordControlModel", "RunView", "ScopeFrame", "ScopeModel", "ScopeWidget", "StreamPicker",
           "StreamPickerModel"]
