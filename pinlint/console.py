"""The ``pinlint`` command: the entry point of the console script (and of
``python -m pinlint``).  ``pinlint --version`` answers before anything else
is imported; everything else is ``cli.main``."""
from __future__ import annotations

import sys


def main() -> int:
    if sys.argv[1:] == ["--version"]:  # instant: nothing else is imported
        from pinlint import __version__

        try:
            sys.stdout.write(f"pinlint {__version__}\n")
            sys.stdout.flush()
        except (AttributeError, OSError):  # no stdout, or a closed pipe: as argparse's --version does
            pass
        return 0
    from pinlint.cli import main as cli_main

    return cli_main()
