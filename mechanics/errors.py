"""The one error type for bad input: its message names the bad value and the valid ones."""


class BadInput(Exception):
    """Raised for any input a user can fix; the CLIs print it without a traceback and exit 2."""


class WeightsUnavailable(BadInput):
    """A model's weights cannot be had on this machine (offline, no local file)."""
