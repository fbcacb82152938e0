from docent.cli import main

raise SystemExit(main())
