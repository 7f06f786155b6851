"""`python -m contrib_compat.migrate PATH...`, as `contrib-compat-migrate`."""
import sys

from contrib_compat.migrate import main

sys.exit(main())
