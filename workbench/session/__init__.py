"""Session logic above acquisition, decoding and records: cued calibration,
decoding of cued runs into trials, and the end-to-end demo."""
