"""Session logic above acquisition, decoding and records: the trial day.

- ``paradigm``: validated cue paradigms, seeded schedules, a runner with pause/resume/abort;
- ``participant``: the simulated participant (cue-following EEG, EMG answering stimulation);
- ``training``: epochs from a recorded run's markers, grouped cross-validation, ERD/ERS maps;
- ``gate``: the safety gate and watchdog (a pure state machine on explicit time stamps);
- ``stimulation``, ``adaptive``, ``effectors``: programs checked against Shannon's limit, the
  bounded EMG controller, the LSL command stream and the simulated devices;
- ``closed_loop`` (the loop's logic) and ``live`` (wired to LSL and LabRecorder);
- ``adaptation``: recalibration between blocks, SmoothBatch updates of Kalman decoders;
- ``results``, ``analysis``: online trials, run metrics and safety events as records, and across sessions;
- ``calibration`` (the first rest/attempt detector) and ``demo`` (``make demo``).
"""
