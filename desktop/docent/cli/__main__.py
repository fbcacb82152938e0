"""`python -m docent.cli`, as `python -m docent`."""

from docent.cli import main

raise SystemExit(main())
