"""`python -m repair` is the `repair` command."""

from repair.cli import main

raise SystemExit(main())
