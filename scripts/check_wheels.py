"""Check that every pinned package installs from a wheel on other Python versions.

`./course` accepts Python 3.11 to 3.13. CI runs on 3.11; this check asks pip to resolve
requirements.txt + requirements-dev.txt under constraints.txt for another Python version
with `--only-binary=:all:` (a dry run: pip reads the wheels' metadata, nothing is
installed or downloaded in full). A few packages ship only a source distribution; they
are pure Python, so they are allowed here by name and checked to resolve on their own.

    python scripts/check_wheels.py 3.12 3.13

Needs the package index (network); exits 0 when every version resolves.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Pure-Python packages published only as a source distribution (no wheel to check).
SDIST_ONLY = {"matplotlib-venn": "pure Python, published as sdist only"}
PLATFORMS = ["linux_x86_64", "manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_x86_64",
             *(f"manylinux_2_{n}_x86_64" for n in range(5, 41))]


def _without_sdist_only(path: Path, out: Path) -> Path:
    keep = [line for line in path.read_text().splitlines()
            if line.split("==")[0].strip().lower() not in SDIST_ONLY]
    out.write_text("\n".join(keep) + "\n")
    return out


def check(version: str) -> tuple[bool, str]:
    """Resolve every pin as wheels for Python ``version`` ('3.12'); return (ok, pip's last lines)."""
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        req = _without_sdist_only(ROOT / "requirements.txt", t / "req.txt")
        con = _without_sdist_only(ROOT / "constraints.txt", t / "con.txt")
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
               "--disable-pip-version-check", "--only-binary=:all:", "--implementation", "cp",
               "--python-version", version, "--target", str(t / "target"),
               "-r", str(req), "-r", str(ROOT / "requirements-dev.txt"), "-c", str(con)]
        for platform in PLATFORMS:
            cmd += ["--platform", platform]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        lines = [l for l in (proc.stdout + proc.stderr).splitlines() if not l.startswith("WARNING")]
        if proc.returncode != 0:
            return False, "\n".join(lines[-12:])
        pins = [l for l in (ROOT / "constraints.txt").read_text().splitlines()
                if l.split("==")[0].strip().lower() in SDIST_ONLY]
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                               "--disable-pip-version-check", "--no-binary=:all:",
                               "-d", str(t / "sdists"), *pins], capture_output=True, text=True)
        return proc.returncode == 0, proc.stderr[-800:]


def main(versions: list[str]) -> int:
    failed = 0
    for version in versions or ["3.12", "3.13"]:
        ok, detail = check(version)
        print(f"Python {version}: {'every pin resolves as a wheel' if ok else 'FAILED'}"
              + ("" if ok else f"\n{detail}"))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
