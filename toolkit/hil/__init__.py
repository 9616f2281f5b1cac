"""The hardware-in-the-loop harness: a device under test per (board, model), the checks the HIL
suite (hil_tests/) runs on it, and the hardware map that describes a rack of boards."""
