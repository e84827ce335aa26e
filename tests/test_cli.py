"""The command line: output shapes and exit codes (2 and one line for every user error)."""

import json
import subprocess
import sys

import pytest

from hwlib.cli import main, parse_seeds
from hwlib.errors import InputError


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_datasets_json_lists_objects(require_data, capsys):
    code, out, _ = run(capsys, "datasets", "--json")
    rows = json.loads(out)
    assert code == 0
    by_name = {r["name"]: r for r in rows}
    assert {"name", "search_space", "n_archs", "unit"} <= set(rows[0])
    assert by_name["cifar10-raspi4_latency"]["n_archs"] == 15625
    assert by_name["transnas_micro-jigsaw"]["search_space"] == "transnas_micro"


def test_datasets_table(require_data, capsys):
    code, out, _ = run(capsys, "datasets")
    assert code == 0 and "cifar10-edgegpu_energy" in out and "12554" in out


@pytest.mark.parametrize("argv,needle", [
    (["evaluate", "--dataset", "cifar10-nope", "--predictor", "lr", "--train-size", "10"], "unknown dataset"),
    (["arch", "|none~0|+|none~0|none~1|+|none~0|none~1|"], "malformed NAS-Bench-201 arch string"),
    (["arch", "99999"], "out of range"),
    (["simulate", "--dataset", "nope", "--n", "100", "--std", "0.5"], "unknown dataset"),
    (["lut", "--dataset", "nope"], "unknown dataset"),
    (["transfer", "--pick", "0"], "--pick must be at least 1"),
    (["transfer", "--target", "help-pixel2", "--train-size", "-3"], "--train-size must be at least 1"),
])
def test_user_errors_exit_2_with_one_line(require_data, capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_files_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HWLIB_DATA_DIR", str(tmp_path))
    from hwlib import data
    data.clear_caches()
    code, _, err = run(capsys, "data", "fetch", "--no-download", "--mirror", str(tmp_path / "none"))
    assert code == 2 and "could not get" in err and err.count("\n") == 1
    code, _, err = run(capsys, "arch", "0")
    assert code == 2 and "missing benchmark file" in err
    data.clear_caches()


def test_environment_and_output_errors_exit_2(tmp_path, monkeypatch, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    monkeypatch.setenv("HWLIB_RESULTS_DIR", str(a_file))
    code, _, err = run(capsys, "study", "plan")
    assert code == 2 and "$HWLIB_RESULTS_DIR=" in err and "names a file, not a folder" in err
    monkeypatch.setenv("HWLIB_RESULTS_DIR", "~no-such-user-here/results")
    code, _, err = run(capsys, "study", "plan")
    assert code == 2 and "$HWLIB_RESULTS_DIR=" in err and err.count("\n") == 1
    monkeypatch.delenv("HWLIB_RESULTS_DIR")
    code, _, err = run(capsys, "predict", "--dataset", "x", "--predictor", "lr", "--out", str(a_file / "p.csv"))
    assert code == 2 and "--out: cannot create the folder" in err        # before anything is fitted
    code, _, err = run(capsys, "predict", "--dataset", "x", "--predictor", "lr", "--out", str(tmp_path))
    assert code == 2 and "is a folder, not a file" in err
    code, _, err = run(capsys, "measure", "--space", "nb201", "--cpus", "a,b", "--out", str(tmp_path / "m.csv"))
    assert code == 2 and "--cpus: cannot read 'a'" in err


def test_an_os_error_is_one_line(monkeypatch, capsys):
    from hwlib import cli

    def fails(args):
        raise NotADirectoryError(20, "Not a directory", "/somewhere/file/x.csv")

    monkeypatch.setattr(cli, "_cmd_lut", fails)
    code, _, err = run(capsys, "lut", "--dataset", "any")
    assert code == 2 and err == "hwlib: error: [Errno 20] Not a directory: '/somewhere/file/x.csv'\n"


def test_arch_lookup(require_data, capsys):
    code, out, _ = run(capsys, "arch", "0", "--json")
    record = json.loads(out)
    assert code == 0 and record["index"] == 0
    assert record["cifar10-raspi4_latency"] == pytest.approx(10.481976820010459)
    code, out, _ = run(capsys, "arch", record["arch"], "--json")
    assert json.loads(out)["index"] == 0


def test_parse_seeds():
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("1,5-6") == [1, 5, 6]
    with pytest.raises(InputError):
        parse_seeds("a-b")


def test_console_script_help_explains_itself():
    out = subprocess.run([sys.executable, "-m", "hwlib", "--help"], capture_output=True, text=True, check=True)
    for command in ("data", "datasets", "evaluate", "lut", "expect", "compare", "predict", "simulate", "transfer",
                    "study", "measure"):
        assert command in out.stdout
    bad = subprocess.run([sys.executable, "-m", "hwlib", "evaluate"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--dataset" in bad.stderr


def test_output_into_a_closed_pipe_is_not_an_error(require_data):
    """`hwlib datasets | head -1`: the reader leaves early; no traceback, exit status 0."""
    proc = subprocess.Popen([sys.executable, "-m", "hwlib", "datasets"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()                      # the reader is gone before anything is written
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err
