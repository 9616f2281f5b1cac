"""One error type for everything a user can get wrong; the CLI prints its message and exits non-zero."""


class ToolkitError(Exception):
    """A user-facing failure with a specific, one-line explanation."""


class UnsupportedModelError(ToolkitError):
    """The model uses an op, attribute or shape the toolkit cannot compile."""
