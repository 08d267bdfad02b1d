"""Create the project's virtual environment with a working pip.

Debian's python3 ships without ``ensurepip`` unless the python3-venv package is installed; then
``python3 -m venv`` fails. In that case the environment is created without pip and pip's wheel is
fetched from the package index (PyPI's JSON API) and used to install itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import venv
from pathlib import Path

INDEX_JSON = "https://pypi.org/pypi/pip/json"


def main(target: str) -> int:
    target_path = Path(target)
    python = target_path / "bin" / "python"
    if (
        python.exists()
        and subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0
    ):
        return 0
    try:
        venv.create(target_path, with_pip=True, clear=True)
        return 0
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"ensurepip unavailable ({error}); bootstrapping pip from the package index", file=sys.stderr)
    venv.create(target_path, with_pip=False, clear=True)
    with urllib.request.urlopen(INDEX_JSON, timeout=120) as response:
        release = json.load(response)
    wheel = next(u for u in release["urls"] if u["packagetype"] == "bdist_wheel")
    url = urllib.parse.urljoin(INDEX_JSON, wheel["url"])
    with tempfile.TemporaryDirectory() as folder:
        wheel_path = Path(folder) / wheel["filename"]
        with urllib.request.urlopen(url, timeout=300) as response:
            wheel_path.write_bytes(response.read())
        # A pip wheel can run itself: python pip.whl/pip install pip.whl
        subprocess.run(
            [python, str(wheel_path / "pip"), "install", "--no-index", str(wheel_path)], check=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".venv"))
