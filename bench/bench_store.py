"""Benchmark of reading the committed results: :meth:`hwlib.store.Store.get` against the row-wise
reader it replaced (pandas' ``to_dict("records")`` on the rows matched by ``isin``, each value
decoded alone), run in the same process on the same tables, with a check that both return the
same records.

Every chapter rendered from the full study asks the store for each (dataset, predictor, training
size) group of cells in turn, which is the access pattern timed here: each committed predictor
table, read once (untimed), then every one of its groups asked for separately.

Usage::

    python bench/bench_store.py                  # every committed predictor table
    python bench/bench_store.py --tables 40      # the first 40 of them
    python bench/bench_store.py --json out.json
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

from hwlib.paths import atomic_write_json, results_dir
from hwlib.store import Store, _decode


def rowwise_get(store: Store, table: str, keys) -> dict[str, dict]:
    """The reader before: ``isin`` on the whole frame, ``to_dict('records')``, each value decoded."""
    keys = list(keys)
    found: dict[str, dict] = {}
    for root in store.roots:
        frame = store._read_csv(store._csv(root, table), table)
        if frame.empty:
            continue
        hits = frame[frame["key"].isin(set(keys) - set(found))]
        for row in hits.to_dict("records"):
            found[row["key"]] = {k: _decode(v) for k, v in row.items()}
    return found


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", type=int, default=None, help="only the first N predictor tables")
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args(argv)

    store = Store(results_dir())
    tables = store.tables("predictors")[:args.tables]
    groups = []
    for table in tables:
        frame = store.records(table)                       # read (and cached) before timing
        groups += [(table, part["key"].tolist()) for _, part in frame.groupby(["train_size", "hpo_budget"],
                                                                              dropna=False, sort=False)]
    timings = {}
    for name, get in (("row-wise", lambda t, k: rowwise_get(store, t, k)), ("store.get", store.get)):
        started = time.perf_counter()
        out = [get(t, k) for t, k in groups]
        timings[name] = (time.perf_counter() - started, out)
    (t_old, old), (t_new, new) = timings["row-wise"], timings["store.get"]
    if old != new:
        print("the two readers return different records", file=sys.stderr)
        return 1
    cells = sum(len(k) for _, k in groups)
    print(f"{len(tables)} tables, {len(groups)} groups, {cells} records ({platform.processor() or platform.machine()})")
    print(f"row-wise reader: {t_old:.2f} s; Store.get: {t_new:.2f} s; ratio {t_old / t_new:.1f}x; same records: yes")
    if args.json:
        atomic_write_json(args.json, {"tables": len(tables), "groups": len(groups), "records": cells,
                                      "rowwise_s": t_old, "store_get_s": t_new, "ratio": t_old / t_new})
    return 0


if __name__ == "__main__":
    sys.exit(main())
