from pinlint.console import main

raise SystemExit(main())
