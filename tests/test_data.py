"""The data layer against published values, the upstream formats, and bad files."""

import os
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hwlib import data, files, formats
from hwlib.errors import DataError, InputError
from hwlib.spaces import get_space


@pytest.fixture
def data_copy(require_data, tmp_path, monkeypatch):
    """A private copy of the data directory, to damage or extend; caches cleared around it."""
    from hwlib.paths import data_dir
    shutil.copytree(data_dir(), tmp_path / "data")
    monkeypatch.setenv("HWLIB_DATA_DIR", str(tmp_path / "data"))
    data.clear_caches()
    yield tmp_path / "data"
    data.clear_caches()


# Published values (the MANIFEST, from HW-NAS-Bench): index 0 on cifar10.
PUBLISHED_CIFAR10_INDEX0 = {"raspi4_latency": 10.481976820010459, "pixel3_latency": 3.6058499999999998,
                            "eyeriss_latency": 3.645620000000001, "fpga_latency": 2.57296}


@pytest.mark.parametrize("metric,value", PUBLISHED_CIFAR10_INDEX0.items())
def test_complete_device_lists_match_published_values(require_data, metric, value):
    ds = data.load_dataset(f"cifar10-{metric}")
    assert ds.n_archs == 15625 and ds.search_space == "nb201" and ds.unit == "ms"
    assert ds.index[0] == 0
    assert ds.y[0] == pytest.approx(value, rel=1e-12)


def test_table_and_complete_lists_agree_where_both_cover(require_data):
    table = data._hwnas_table()
    for metric in PUBLISHED_CIFAR10_INDEX0:
        full = data.load_dataset(f"cifar10-{metric}").y
        np.testing.assert_allclose(table[metric].to_numpy(), full[table["idx"].to_numpy()], rtol=1e-6)


def test_nb201_index_table_agrees_with_the_accuracy_table(require_data):
    A = data.nb201_archs()
    assert A.shape == (15625, 6)
    assert len({tuple(r) for r in A}) == 15625
    strings = data._accuracy_table()["ArchitectureString"].tolist()
    assert get_space("nb201").array_to_names(A) == strings


def test_edgetpu_drops_missing_values(require_data):
    ds = data.load_dataset("cifar10-edgetpu_latency")
    assert ds.n_archs < 12554 and (ds.y >= 0).all()


def test_zscore_uses_population_std(require_data):
    ds = data.load_dataset("cifar10-pixel3_latency")
    assert ds.y_z.mean() == pytest.approx(0, abs=1e-12)
    assert ds.y_z.std(ddof=0) == pytest.approx(1)


def test_transnas_micro_has_seven_tasks_over_4096_cells(require_data):
    names = [n for n in data.list_datasets() if n.startswith("transnas_micro-")]
    assert len(names) == 7
    ds = data.load_dataset("transnas_micro-jigsaw")
    assert ds.A.shape == (4096, 6) and ds.search_space == "transnas_micro" and (ds.y > 0).all()
    assert data.hard_datasets("transnas")[0] == "transnas_micro-class_scene"


def test_accuracy_and_stand_ins(require_data):
    acc = data.load_accuracy("cifar10")
    assert acc.shape == (15625,) and 10 < acc.mean() < 95
    assert data.hard_datasets("hwnas") == [
        "cifar10-raspi4_latency", "cifar10-pixel3_latency", "cifar10-edgegpu_latency",
        "cifar10-edgegpu_energy", "cifar10-eyeriss_arithmetic_intensity"]


def test_help_devices_are_registered(require_data):
    names = data.list_datasets()
    assert "help-titan_rtx_256" in names and "help-raspi4" not in names
    assert data.load_dataset("help-samsung_a50").n_archs == 15625


def test_unknown_dataset_suggests_close_names():
    with pytest.raises(InputError, match="did you mean cifar10-raspi4_latency"):
        data.load_dataset("cifar10-raspi_latency")


def test_dataset_without_its_file_says_which(require_data):
    with pytest.raises(DataError, match="HW-NAS-Bench-v1_0.pickle"):
        data.load_dataset("cifar100-edgegpu_latency")


def _official_pickle(path: Path) -> None:
    """A small file in the official HW-NAS-Bench layout with the MANIFEST's published index-0 values."""
    rng = np.random.default_rng(0)
    bench = {}
    published = {("cifar100", "edgegpu_latency"): 5.866079330444336,
                 ("cifar100", "edgegpu_energy"): 24.471327606836955,
                 ("cifar100", "pixel3_latency"): 5.04007,
                 ("ImageNet16-120", "raspi4_latency"): 2.973176879895618,
                 ("ImageNet16-120", "eyeriss_arithmetic_intensity"): 2.2148960216998193}
    for image in data.IMAGE_DATASETS:
        bench[image] = {m: list(rng.uniform(1, 10, 15625)) for m in data.HWNAS_METRICS}
        bench[image]["edgetpu_latency"][7] = -1.0
    for (image, metric), value in published.items():
        bench[image][metric][0] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps({"nasbench201": bench}))
    return published


def test_official_pickle_is_read_and_preferred(data_copy):
    published = _official_pickle(data_copy / "hwnasbench" / "HW-NAS-Bench-v1_0.pickle")
    for (image, metric), value in published.items():
        ds = data.load_dataset(f"{image}-{metric}")
        assert ds.y[0] == value and ds.n_archs == 15625
        assert "official" in ds.description
    assert data.load_dataset("cifar10-edgetpu_latency").n_archs == 15624
    assert data.hard_datasets("hwnas") == list(data.PAPER_HWNAS)


def test_truncated_file_is_refused_by_checksum(data_copy):
    target = data_copy / "nb201" / "help_latency" / "raspi4.pt"
    target.write_bytes(target.read_bytes()[:5000])
    with pytest.raises(DataError, match="raspi4.pt: checksum mismatch"):
        data.load_dataset("cifar10-raspi4_latency")
    with pytest.raises(DataError, match="not a torch.save archive|corrupted"):
        formats.load_torch_plain(target)


def test_altered_byte_is_refused(data_copy):
    target = data_copy / "nb201" / "nats_bench_accuracy.csv"
    raw = bytearray(target.read_bytes())
    raw[200] ^= 1
    target.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="nats_bench_accuracy.csv: checksum mismatch"):
        data.load_accuracy("cifar10")


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch /tmp/hwlib_pwned",))


def test_crafted_pickle_is_refused_not_executed(tmp_path):
    marker = Path("/tmp/hwlib_pwned")
    marker.unlink(missing_ok=True)
    evil = tmp_path / "evil.pickle"
    evil.write_bytes(pickle.dumps({"nasbench201": _Exploit()}))
    with pytest.raises(DataError, match="refused to unpickle"):
        formats.load_plain_pickle(evil)
    archive = tmp_path / "evil.pt"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps([1.0, _Exploit()]))
        zf.writestr("archive/version", "3")
    with pytest.raises(DataError, match="refused to unpickle"):
        formats.load_torch_plain(archive)
    assert not marker.exists()


def test_plain_pickles_with_numpy_arrays_load(tmp_path):
    path = tmp_path / "ok.pickle"
    path.write_bytes(pickle.dumps({"a": np.arange(3.0), "b": [np.float64(1.5)]}))
    loaded = formats.load_plain_pickle(path)
    np.testing.assert_array_equal(loaded["a"], [0, 1, 2])


def test_fetch_copies_from_mirror_verifies_and_skips_present(require_data, tmp_path, monkeypatch):
    from hwlib.paths import data_dir
    mirror = data_dir()
    monkeypatch.setenv("HWLIB_DATA_DIR", str(tmp_path / "fresh"))
    keys = ["nb201/help_latency/raspi4.pt", "transnas/micro.mindrecord.db"]
    assert [r.action for r in files.fetch(keys, mirror=mirror, download=False)] == ["copied"] * 2
    assert [r.action for r in files.fetch(keys, mirror=mirror, download=False)] == ["present"] * 2
    assert not list((tmp_path / "fresh").rglob("*.tmp"))


def test_fetch_refuses_a_corrupted_mirror_copy(require_data, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror" / "nb201" / "help_latency"
    mirror.mkdir(parents=True)
    (mirror / "fpga.pt").write_bytes(b"not the file")
    monkeypatch.setenv("HWLIB_DATA_DIR", str(tmp_path / "fresh"))
    with pytest.raises(DataError, match="fpga.pt .*checksum mismatch"):
        files.fetch(["nb201/help_latency/fpga.pt"], mirror=tmp_path / "mirror", download=False)
    assert not (tmp_path / "fresh" / "nb201" / "help_latency" / "fpga.pt").exists()


# ----------------------------------------------------------------------------- your own measurements


def own_file(tmp_path, name="my-phone.csv", n=700, **columns):
    """A CSV of 700 NB201 cells with pixel3's latency (column ``latency``) and ``columns``."""
    import pandas as pd

    ds = data.load_dataset("cifar10-pixel3_latency")
    pick = np.random.default_rng(0).choice(ds.n_archs, n, replace=False)
    frame = pd.DataFrame({"arch": get_space("nb201").array_to_names(ds.A[pick]), "latency": ds.y[pick],
                          **{k: v[:n] for k, v in columns.items()}})
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path, ds, pick


def test_a_csv_of_own_measurements_becomes_a_dataset(require_data, registry, tmp_path):
    path, source, pick = own_file(tmp_path)
    name = data.register_measurements(path)
    ds = data.load_dataset(name)
    order = np.argsort(source.index[pick])
    assert name == "my-phone" and ds.search_space == "nb201" and ds.n_archs == 700
    np.testing.assert_array_equal(ds.index, source.index[pick][order])  # by benchmark index
    np.testing.assert_array_equal(ds.A, source.A[pick][order])
    np.testing.assert_allclose(ds.y, source.y[pick][order])
    assert name in data.list_datasets()
    assert data.register_measurements(path) == name  # the same file again: the same dataset


def test_own_measurements_of_the_macro_space_are_recognised(require_data, registry, tmp_path):
    import pandas as pd

    ds = data.load_dataset("transnas_macro-cpu_latency")
    names = get_space("transnas_macro").array_to_names(ds.A[:300])
    pd.DataFrame({"arch": names, "ms": ds.y[:300]}).to_csv(tmp_path / "m.csv", index=False)
    own = data.load_dataset(data.register_measurements(tmp_path / "m.csv", name="macro-mine"))
    assert own.search_space == "transnas_macro" and own.n_archs == 300


def test_hwlib_measure_files_default_to_their_fastest_repeat(require_data, registry, tmp_path):
    from hwlib.measure import COLUMNS

    path, _, _ = own_file(tmp_path)
    frame = __import__("pandas").read_csv(path)
    for c in COLUMNS[1:]:
        frame[c] = frame["latency"] * (2.0 if c != "min_ms" else 1.0)
    frame[list(COLUMNS)].to_csv(path, index=False)
    ds = data.load_dataset(data.register_measurements(path, name="measured"))
    assert ds.unit == "ms"
    np.testing.assert_allclose(np.sort(ds.y), np.sort(frame["min_ms"]))


def test_bad_own_files_are_refused_with_their_name(require_data, registry, tmp_path):
    path, _, _ = own_file(tmp_path, other=np.ones(700))
    with pytest.raises(InputError, match="which column.*latency, other"):
        data.register_measurements(path)
    assert data.load_dataset(data.register_measurements(path, column="other")).y.max() == 1.0
    with pytest.raises(InputError, match="no column 'nope'"):
        data.register_measurements(path, name="x", column="nope")
    (tmp_path / "bad.csv").write_text("arch,latency\nresnet50,1.0\n")
    with pytest.raises(DataError, match="bad.csv.*no architecture names"):
        data.register_measurements(tmp_path / "bad.csv")
    with pytest.raises(DataError, match="missing.csv: file not found"):
        data.register_measurements(tmp_path / "missing.csv")
    taken, _, _ = own_file(tmp_path, name="cifar10-raspi4_latency.csv")
    with pytest.raises(InputError, match="taken by a benchmark dataset"):
        data.register_measurements(taken)
    twice = tmp_path / "twice.csv"
    twice.write_text(path.read_text() + path.read_text().splitlines(keepends=True)[1])
    with pytest.raises(DataError, match="twice.csv: 1 architecture.s. appear more than once .first: '.*'.; keep one"):
        data.register_measurements(twice, column="latency")
    assert "twice" not in data.list_datasets(available=False)  # a failed registration leaves nothing
    holey = tmp_path / "holey.csv"
    holey.write_text(path.read_text().replace(path.read_text().splitlines()[3].split(",")[1], "nan", 1))
    with pytest.raises(DataError, match="holey.csv: 1 value.*not finite.*remove those rows"):
        data.register_measurements(holey, column="latency")
    lines = path.read_text().splitlines(keepends=True)
    for row, where in ((3, "row 3 of the arch column, '.bogus~0.', is not an architecture name of nb201"),
                      (60, "row 60 of the arch column: malformed NAS-Bench-201 arch string: '.bogus~0.'")):
        typo = tmp_path / f"typo{row}.csv"
        typo.write_text("".join(lines[:row] + ["|bogus~0|," + lines[row].split(",", 1)[1]] + lines[row + 1:]))
        with pytest.raises(DataError, match=f"typo{row}.csv: {where}"):
            data.register_measurements(typo, column="latency")
    (tmp_path / "header.csv").write_text("arch,latency\n")
    with pytest.raises(InputError, match="header.csv: which column"):
        data.register_measurements(tmp_path / "header.csv")


def test_a_sample_of_a_dataset_is_a_dataset(require_data, registry, tmp_path, monkeypatch):
    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path))
    name = data.register_sample("cifar10-pixel3_latency", 300, seed=4)
    sample, whole = data.load_dataset(name), data.load_dataset("cifar10-pixel3_latency")
    assert name == "cifar10-pixel3_latency-sample300-4" and sample.n_archs == 300
    rows = {tuple(a): v for a, v in zip(whole.A.tolist(), whole.y)}
    np.testing.assert_allclose([rows[tuple(a)] for a in sample.A.tolist()], sample.y, rtol=1e-12)  # the same values
    assert data.register_sample("cifar10-pixel3_latency", 300, seed=4) == name     # again: the same sample
    for n in (1, 15626, 2.5):
        with pytest.raises(InputError, match="must hold 2..15625 architectures"):
            data.register_sample("cifar10-pixel3_latency", n)


def test_the_command_line_takes_a_csv_as_its_dataset(require_data, registry, tmp_path, capsys):
    import json

    from hwlib.cli import main

    path, _, _ = own_file(tmp_path)
    assert main(["evaluate", "--dataset", str(path), "--predictor", "ridge", "--train-size", "50",
                 "--seeds", "0-1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dataset"] == "my-phone" and result["kendalltau"] > 0.5
    assert main(["evaluate", "--dataset", f"{path}:nope", "--predictor", "ridge", "--train-size", "50"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no column 'nope'" in err[0]
    # the selection simulation pairs it with an image dataset's accuracy, named after '@'
    assert main(["simulate", "--dataset", str(path), "--n", "200", "--std", "0.4", "--trials", "3"]) == 2
    assert "'my-phone@cifar10'" in capsys.readouterr().err
    assert main(["simulate", "--dataset", f"{path}@cifar100", "--n", "200", "--std", "0.4", "--trials", "3",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dataset"] == "my-phone@cifar100"


@pytest.mark.parametrize("name,size", [("cifar10-raspi4_latency", 15625), ("transnas_macro-cpu_latency", 3256),
                                       ("transnas_micro-jigsaw", 4096)])
def test_space_archs_are_in_the_datasets_index_order(require_data, name, size):
    ds = data.load_dataset(name)
    A = data.space_archs(ds.search_space)
    assert A.shape == (size, 6)
    np.testing.assert_array_equal(A[ds.index], ds.A)
    with pytest.raises(InputError, match="unknown search space"):
        data.space_archs("nb301")


def test_sqlite_arch_list_in_a_folder_with_uri_characters(tmp_path):
    import sqlite3

    folder = tmp_path / "d#1?x%y"
    folder.mkdir()
    db = folder / "labels.mindrecord.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE INDEXES (ROW_ID INTEGER, label_0 TEXT)")
        con.executemany("INSERT INTO INDEXES VALUES (?, ?)", [(1, "b"), (0, "a")])
    con.close()
    assert formats.read_sqlite_labels(db) == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d#1?x%y"]     # no stray file made by a cut URI
