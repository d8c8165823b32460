"""The ``pinlint`` command: the entry point of the console script (and of
``python -m pinlint``).  ``pinlint --version`` answers before anything else
is imported; everything else is ``cli.main``.

``run`` is what the command runs: ``main``, then, once its output is
flushed, the process ends without tearing the interpreter down.  Freeing
every module and object one by one took 15 ms of a 70 ms one-file lint and
30 to 40 ms after a large tree, and nothing is left to do by then: reports
are written and closed, worker pools and git processes are shut down.
``main`` itself returns, for callers in the same process."""
from __future__ import annotations

import os
import sys
from typing import NoReturn


def main(keep: bool = False) -> int:
    """``keep``: the process ends right after (``run``), so what the lint
    made is not freed first (``cli.main(keep=True)``)."""
    if sys.argv[1:] == ["--version"]:  # instant: nothing else is imported
        from pinlint import __version__

        try:
            sys.stdout.write(f"pinlint {__version__}\n")
            sys.stdout.flush()
        except (AttributeError, OSError):  # no stdout, or a closed pipe: as argparse's --version does
            pass
        return 0
    from pinlint.cli import main as cli_main

    return cli_main(keep=keep)


def run() -> NoReturn:
    code = main(keep=True)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed pipe, a full disk: what is left cannot be written
        os._exit(code or 2)  # (the interpreter's exit would try again, print a traceback and end with 120)
    os._exit(code)
