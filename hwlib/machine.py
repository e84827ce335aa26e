"""What is computing: the machine's CPU and the code's version (recorded beside results and measurements)."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

from .paths import project_root

__all__ = ["cpu_model", "cpu_vendor", "git_commit", "kernels", "run_kernels"]


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


def cpu_vendor(model: str | None = None) -> str:
    """'AMD' or 'Intel' for a CPU model name (default: this machine's), else the name's first word."""
    name = cpu_model() if model is None else model
    for vendor in ("AMD", "Intel"):
        if vendor.lower() in name.lower():
            return vendor
    return name.split()[0] if name.split() else "?"


def kernels() -> dict[str, str]:
    """The arithmetic that a record's last bits depend on, beyond the library versions.

    numpy's BLAS (OpenBLAS) picks its kernels by CPU when it loads ('Haswell' for AVX2,
    'SkylakeX' for AVX-512, ...), and torch picks its own ('AVX2', 'AVX512'); torch's matrix
    products (MKL) also choose their code by the CPU's vendor: an AMD and an Intel CPU with the
    same kernels above train a BONAS network to other last bits. Two machines with the same
    libraries compute the same records bit for bit only where all of these agree. Keys ``blas``
    (each BLAS loaded by numpy and scipy: its name, kernels and version), ``torch`` (its CPU
    capability) and ``vendor`` (:func:`cpu_vendor`); a part that cannot be read is left out.
    """
    out: dict[str, str] = {"vendor": cpu_vendor()}
    try:
        from importlib import import_module

        from threadpoolctl import threadpool_info

        for name in ("numpy", "scipy.linalg"):   # load the BLAS libraries that threadpoolctl reports
            import_module(name)

        blas = sorted({f"{i['internal_api']} {i.get('architecture') or '?'} {i.get('version') or '?'}"
                       for i in threadpool_info() if i.get("user_api") == "blas"})
        if blas:
            out["blas"] = "; ".join(blas)
    except Exception:  # noqa: BLE001 - provenance is best effort: a missing part is left out
        pass
    try:
        import torch

        out["torch"] = str(torch.backends.cpu.get_cpu_capability())
    except Exception:  # noqa: BLE001
        pass
    return out


def run_kernels(provenance: dict) -> dict[str, str]:
    """:func:`kernels` as a run's provenance records them; for runs that recorded no ``vendor``
    (before 2 December 2026), the vendor read off the CPU's name they recorded. Empty where the
    run recorded no kernels."""
    out = dict(provenance.get("kernels") or {})
    if out and "vendor" not in out and provenance.get("cpu"):
        out["vendor"] = cpu_vendor(provenance["cpu"])
    return out
