"""The two ways a use case refuses a request; every face maps them to its own wording.

The command line prints the message and exits 2; the HTTP service answers 404 or 422 with the
message as the problem's detail.
"""


class NotFound(LookupError):
    """The enterprise, period or run asked for does not exist (or is not visible)."""


class InvalidRequest(ValueError):
    """The arguments cannot be served as given; the message names the argument."""
