"""`python -m repair` is the `repair` command."""

from repair.cli.main import main

raise SystemExit(main())
