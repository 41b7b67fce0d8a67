"""Entry point of ``python -m nr_package`` (see :mod:`nr_package.cli`)."""

import sys

from nr_package.cli import main

if __name__ == "__main__":
    sys.exit(main())
