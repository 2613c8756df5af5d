import subprocess
import sys
from pathlib import Path

from terraform_files import REPO, STACKSETS


def test_stackset_templates_pass_cfn_lint():
    templates = sorted(STACKSETS.glob("*.yaml"))
    assert templates, "no template under stacksets/"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", *map(str, templates)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    # Exit code 0: no error, warning or informational finding.
    assert result.returncode == 0, result.stdout + result.stderr
