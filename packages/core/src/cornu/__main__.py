import sys

from cornu.cli import main

sys.exit(main())
