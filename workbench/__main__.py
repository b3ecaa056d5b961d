"""`python -m workbench` runs the same entry point as `smartbench`."""

from workbench.cli import main

raise SystemExit(main())
