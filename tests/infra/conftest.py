"""tests/infra: offline checks of the Terraform modules, the StackSet template and the IAM policies."""

import sys
from pathlib import Path

# The checkers (schema_check.py, iam_from_code.py, tfdocs.py, ...) are also run as scripts and
# import each other by module name.
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
