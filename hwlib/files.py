"""The benchmark files: where each comes from, its checksum, and getting them (``hwlib data fetch``).

A file is looked for in the data directory (:func:`hwlib.paths.data_dir`). ``fetch`` makes that
directory complete: a file whose sha256 matches is kept; otherwise it is copied from the local
mirror (``$HWLIB_DATA_MIRROR``), else downloaded from its upstream address; it is verified before
it is written, and written atomically. The files are never part of the repository.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import DataError
from .paths import atomic_write, data_dir, mirror_dir

__all__ = ["BenchmarkFile", "FILES", "HELP_DEVICES", "sha256_file", "locate", "fetch", "FetchResult"]

log = logging.getLogger(__name__)

_GH = "https://raw.githubusercontent.com"
_HELP = f"{_GH}/HayeonLee/HELP/45f70eb92d0d735970a33b608d1544ad3c52f285/data"
_HWVIS = f"{_GH}/NinaHerrmann/HW-NAS-Visualization/46fce2b2f5d42620fdd29c019587b1b4e07371e4"
_NATS = f"{_GH}/v-tao/nats-bench-landscape/b307ae5fe6e8d7043cd4fe7d1c3532288271adb7"
_TNAS_LAT = f"{_GH}/Anessa01/Help-transNAS/a3947e1a6f2e562eab7d914eebc49dbe912c48cd/data/transnasbench"
_TNAS_DB = f"{_GH}/Anessa01/Help-transNAS/1fde0f48854e901f8e13151046355dbb3ea8a397/data/transnasbench"

_SHA256 = {
    "hwnasbench/cifar10_alldata.csv": "9b99c502908a43efb06e6b9135619d8a40e83dc58e7d08363908646f2f838e61",
    "nb201/help_latency/1080ti_1.pt": "4028f52b2c2441da126932e3827ae11a7f76d39818c4374c1b9ab9df236e23f4",
    "nb201/help_latency/1080ti_256.pt": "435af0ccfab01f5dc55dc9f2e8b90ca37b396b2656e327bba5ee0b6eb9c24464",
    "nb201/help_latency/1080ti_32.pt": "affce4fcdcf6f28622365995ef2ec018bb07d448add59f80633c0978c393cdea",
    "nb201/help_latency/2080ti_1.pt": "38cf0e8f698abf8696c69b41a358fe9ddedf5d54cb1ae6f85b04dd8a8f89a1b3",
    "nb201/help_latency/2080ti_256.pt": "daee655c44c46955d8318ddf0fa39254e70bab1ae723a6abc53d7b7e4e1561ae",
    "nb201/help_latency/2080ti_32.pt": "ebc603ad325850663fc56c8e0fde52fadea28e585a8405864baa20f986eaf29d",
    "nb201/help_latency/essential_ph_1.pt": "a97165c8669a216b9ca046041c83a07352bd07f2a42e2d8fea8b51e7ddbcabf0",
    "nb201/help_latency/eyeriss.pt": "6f1dd2f8c0442289a09ab78e63e49bde96489f6d455cc33d5fa5aed37edb5d03",
    "nb201/help_latency/fpga.pt": "6a0333c1476a3ab039d8c39e5d42ac99efe9e7f3ff521289569013fa84233b28",
    "nb201/help_latency/gold_6226.pt": "6a00f63d14f67f8007ec04519f638a90aa6ed5357cf5c0e60c391df37f186c99",
    "nb201/help_latency/gold_6240.pt": "ac6dd41f183de69bba21dec3954ac73333b7dec871e0defbcce0572d82536890",
    "nb201/help_latency/pixel2.pt": "051845ddefc2bc138f21e2217f6c7827fe280c78375cbfb4b5bd252a888cb950",
    "nb201/help_latency/pixel3.pt": "cf1387da12e06b1d4541ce85f3ca4869d551084e09daf4acf024b6e21a80d465",
    "nb201/help_latency/raspi4.pt": "2fae425c50bcaef7aacc5391244cd0af98bfc7fba689a8741e461cb18192f57c",
    "nb201/help_latency/samsung_a50.pt": "0872cb4ec8ecc7ea1b3bd8c98dd705f2d0f6e4940f3af833b313e484de39b155",
    "nb201/help_latency/samsung_s7.pt": "dbae32364b882022adb044b2aa1af77b66f43a180930d9be4d4c13532429f0ea",
    "nb201/help_latency/silver_4114.pt": "0cce9dc9ba62ad81c21275298a88cb0e4534db6474a878f089df0abb13293421",
    "nb201/help_latency/silver_4210r.pt": "f976049bda39abde94b8f8cac90140cb78a5069fc145c462d6d6bc2f8450727a",
    "nb201/help_latency/str_arch2idx.pt": "e1d7b7cc7cf51d7c3cd6f9e726e7395bea87d7ba674e26202fb8633f963aef0d",
    "nb201/help_latency/titan_rtx_1.pt": "a854dac331e2a37d7dcd6ee1f63d1bc6d73ead3aeb0a86f803f45ea1b294859e",
    "nb201/help_latency/titan_rtx_256.pt": "cff1fba40b1743d3716cfb74c86ac2463d0682c146f356fa9095ac0d02dfb2a5",
    "nb201/help_latency/titan_rtx_32.pt": "1258bee5501fe191530b9898a4f55a122ab30beec9c6ea74598c47a0173babed",
    "nb201/help_latency/titanx_1.pt": "3461cc686263bd0ce4d4cd915bfc2fe067deb139cc68da387741bd6443434cb0",
    "nb201/help_latency/titanx_256.pt": "04ddb80719515687bd3d722235cd5da821b50bd453a9e580b1e9d321dfb92941",
    "nb201/help_latency/titanx_32.pt": "9c4ca69131e34451fb1e104caa47efbe12ffec3cc47bf051613674d7af044ff2",
    "nb201/help_latency/titanxp_1.pt": "935aa0041c6592bed90f2f94ff3b4d40e892c066467864b704e6583682a57b20",
    "nb201/help_latency/titanxp_256.pt": "9f03206bc62b0dcfc882820de07f55dc1fb7f43f57dfc977e4f0f4b019cb5041",
    "nb201/help_latency/titanxp_32.pt": "4b6db63c7a9fb55177aa2649d70031dd86d2ed1609467ef5803dc1089a73cb1b",
    "nb201/nats_bench_accuracy.csv": "cb5d777ec3368be83c8f9b3aa4d520696051cb0eb8d94b8f85b519f9ea4afa3e",
    "transnas/macro.mindrecord.db": "02ebfc9feaa28d163c13570fd05d3bcdf00ea1390d1205d1b7f10e199a92b3d0",
    "transnas/micro.mindrecord.db": "ca4f9c8b535c22de11ad92a0f7885b86aa765b2ff10971062fab58d483381c44",
    "transnas/micro_latency_all_tasks.pt": "4cc05a9013ea39a4b6ee663e943996b1e5a25b8958ba49e402f20a62b6f7297e",}

#: Devices of HELP's NB201 latency files (``nb201/help_latency/<device>.pt``).
HELP_DEVICES = tuple(sorted(k.split("/")[-1][:-3] for k in _SHA256
                            if k.startswith("nb201/help_latency/") and "str_arch2idx" not in k))


@dataclass(frozen=True)
class BenchmarkFile:
    """One upstream file.

    Attributes
    ----------
    key : str
        Path relative to the data directory (and to the mirror), e.g. ``'nb201/nats_bench_accuracy.csv'``.
    url : str or None
        Upstream download address; None when the file must be placed by hand.
    sha256 : str or None
        Expected checksum; None for the large official files, which are checked by structure.
    required : bool
        Whether ``hwlib data fetch`` must make it present (the official files are optional).
    """

    key: str
    url: str | None
    sha256: str | None
    required: bool = True


def _upstream(key: str) -> str:
    if key.startswith("nb201/help_latency/"):
        return f"{_HELP}/nasbench201/" + ("" if key.endswith("str_arch2idx.pt") else "latency/") + Path(key).name
    if key == "nb201/nats_bench_accuracy.csv":
        return f"{_NATS}/nats_bench.csv"
    if key == "hwnasbench/cifar10_alldata.csv":
        return f"{_HWVIS}/results/alldata.csv"
    if key == "transnas/micro_latency_all_tasks.pt":
        return f"{_TNAS_LAT}/latency/autoencoder.pt"
    return f"{_TNAS_DB}/{Path(key).name}"


FILES: dict[str, BenchmarkFile] = {k: BenchmarkFile(k, _upstream(k), h) for k, h in _SHA256.items()}
FILES["hwnasbench/HW-NAS-Bench-v1_0.pickle"] = BenchmarkFile(
    "hwnasbench/HW-NAS-Bench-v1_0.pickle",
    f"{_GH}/GATECH-EIC/HW-NAS-Bench/main/HW-NAS-Bench-v1_0.pickle", None, required=False)
FILES["transnas/transnas-bench_v10141024.pth"] = BenchmarkFile(
    "transnas/transnas-bench_v10141024.pth", None, None, required=False)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, cached by (path, size, mtime)."""
    st = path.stat()
    return _sha256_cached(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=256)
def _sha256_cached(path: str, size: int, mtime: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _get(key: str) -> BenchmarkFile:
    try:
        return FILES[key]
    except KeyError:
        raise DataError(f"unknown benchmark file {key!r}") from None


def locate(key: str, *, verify: bool = True) -> Path:
    """Path of benchmark file ``key`` in the data directory, checked against its sha256.

    Raises
    ------
    DataError
        When the file is missing (saying how to get it) or its checksum does not match.
    """
    spec = _get(key)
    path = data_dir() / key
    if not path.is_file():
        where = f"download it from {spec.url}" if spec.url else "get it from its publisher"
        raise DataError(f"missing benchmark file {path}: run `hwlib data fetch` "
                        f"(or {where} and put it there)")
    if verify and spec.sha256 and sha256_file(path) != spec.sha256:
        raise DataError(f"{path}: checksum mismatch (corrupted or truncated?); "
                        "delete it and run `hwlib data fetch`")
    return path


def is_present(key: str) -> bool:
    """Whether ``key`` is in the data directory (its checksum is checked when loaded)."""
    return (data_dir() / key).is_file()


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` did with one file: ``'present'``, ``'copied'``, ``'downloaded'`` or ``'skipped'``."""

    key: str
    action: str
    path: Path


def fetch(keys: list[str] | None = None, *, mirror: Path | None = None, download: bool = True,
          include_optional: bool = False, timeout: float = 60.0) -> list[FetchResult]:
    """Make the data directory complete.

    Parameters
    ----------
    keys : list of str, optional
        Files to get (default: every required file, plus the optional ones when ``include_optional``).
    mirror : Path, optional
        Local mirror laid out like the data directory (default ``$HWLIB_DATA_MIRROR``).
    download : bool
        Whether to try the upstream address when the mirror lacks a file.

    Raises
    ------
    DataError
        Naming every file that could be had nowhere, where it was looked for and where to put it.
    """
    mirror = mirror if mirror is not None else mirror_dir()
    wanted = keys or [k for k, f in FILES.items() if f.required or include_optional]
    results, failures = [], []
    for key in wanted:
        spec, target = _get(key), data_dir() / key
        if target.is_file() and (spec.sha256 is None or sha256_file(target) == spec.sha256):
            results.append(FetchResult(key, "present", target))
            continue
        tried = []
        payload, action = _from_mirror(spec, mirror, tried), "copied"
        if payload is None and download and spec.url:
            payload, action = _from_url(spec, timeout, tried), "downloaded"
        if payload is None:
            if spec.required:
                why = "; ".join(tried) or "no mirror ($HWLIB_DATA_MIRROR) and downloads disabled"
                failures.append(f"{key} ({why})")
            results.append(FetchResult(key, "skipped", target))
            continue
        atomic_write(target, payload)
        log.info("%s %s", action, key)
        results.append(FetchResult(key, action, target))
    if failures:
        more = f" and {len(failures) - 2} more" if len(failures) > 2 else ""
        raise DataError(f"could not get {len(failures)} file(s): {', '.join(failures[:2])}{more}; "
                        f"put them under {data_dir()} or name a mirror in $HWLIB_DATA_MIRROR")
    return results


def _verified(spec: BenchmarkFile, payload: bytes, origin: str, tried: list[str]) -> bytes | None:
    if spec.sha256 and hashlib.sha256(payload).hexdigest() != spec.sha256:
        tried.append(f"{origin} has a checksum mismatch")
        return None
    return payload


def _from_mirror(spec: BenchmarkFile, mirror: Path | None, tried: list[str]) -> bytes | None:
    if mirror is None:
        return None
    source = Path(mirror) / spec.key
    if not source.is_file():
        tried.append(f"not in mirror {mirror}")
        return None
    return _verified(spec, source.read_bytes(), str(source), tried)


def _from_url(spec: BenchmarkFile, timeout: float, tried: list[str]) -> bytes | None:
    try:
        with urllib.request.urlopen(spec.url, timeout=timeout) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        tried.append(f"download from {spec.url} failed ({getattr(exc, 'reason', exc)})")
        return None
    return _verified(spec, payload, spec.url, tried)
