"""The ``pyasm`` command (``pyasm dis``, ``build``, ``check``, ``lsp``), run
inside this interpreter: ``python -m pyasm ...`` and the ``pyasm`` script
the wheel installs both come here."""

import signal
import sys

from . import _pyasm


def main() -> None:
    """Runs the command line on ``sys.argv`` and exits with its status."""
    # Ctrl-C ends the command at once, as it ends the pyasm executable:
    # Python's own handler would only set a flag that nothing looks at
    # while the command runs.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.exit(_pyasm.cli(["pyasm"] + sys.argv[1:]))


if __name__ == "__main__":
    main()
