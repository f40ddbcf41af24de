"""The README's Python example runs as written and prints what the README shows."""

import re
import subprocess
import sys

from conftest import REPO


def test_readme_example_runs_as_written():
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"<!-- python-example -->\s*```python\n(.*?)```\s*```text\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "README.md must hold one python example followed by its output"
    code, shown = blocks[0]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == shown.strip()
