import sys

if sys.argv[1:] == ["--version"]:  # instant: nothing else is imported
    from pinlint import __version__

    sys.stdout.write(f"pinlint {__version__}\n")
    raise SystemExit(0)

from pinlint.cli import main  # noqa: E402

raise SystemExit(main())
