from pinlint.cli import main

raise SystemExit(main())
