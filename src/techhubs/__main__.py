import sys

from techhubs.cli import main

sys.exit(main())
