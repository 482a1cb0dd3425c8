"""The one exception type the tools raise for problems the user can fix."""

from .exitcode import EXIT_NOT_STARTED


class HopError(Exception):
    """A message that tells the user what went wrong and what to do.

    `status` is the process exit status the tool should end with.
    """

    def __init__(self, message, status=EXIT_NOT_STARTED):
        super().__init__(message)
        self.status = status
