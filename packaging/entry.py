"""The frozen app's entry point (both executables of packaging/docent.spec).

`freeze_support` must run first: the extraction worker is a spawned process, and in a frozen app
it is this same executable started again with multiprocessing's arguments.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from docent.cli import main

    raise SystemExit(main())
