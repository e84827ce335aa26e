"""What is computing: the machine's CPU and the code's version (recorded beside results and measurements)."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

from .paths import project_root

__all__ = ["cpu_model", "git_commit"]


def git_commit() -> str | None:
    """HEAD of the checkout hwlib runs from (``+dirty`` when its library code has local changes)."""
    root = project_root()
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "hwlib"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("+dirty" if dirty else "")) if head else None


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
