#!/usr/bin/env python3
"""Peer for `systore ingest pysystemtrade`: pandas read_csv + to_parquet, one file at a time.

Reads every CSV of a pysystemtrade data folder (adjusted_prices_csv, multiple_prices_csv,
fx_prices_csv) with pandas (DATETIME parsed as the index) and writes each to a zstd
Parquet file with pyarrow, sequentially, with no validation. Prints rows, files and
seconds as JSON.

usage: bench/ingest_pandas.py DATA_DIR OUT_DIR
"""
import json
import os
import sys
import time

import pandas as pd


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    rows = files = 0
    for sub in ("adjusted_prices_csv", "multiple_prices_csv", "fx_prices_csv"):
        d = os.path.join(data, sub)
        if not os.path.isdir(d):
            continue
        os.makedirs(os.path.join(out, sub), exist_ok=True)
        for name in sorted(os.listdir(d)):
            if not name.endswith(".csv"):
                continue
            df = pd.read_csv(os.path.join(d, name), index_col=0, parse_dates=True)
            df.to_parquet(os.path.join(out, sub, name[:-4] + ".parquet"), compression="zstd")
            rows += len(df)
            files += 1
    print(json.dumps({"peer": "pandas read_csv + to_parquet", "files": files, "rows": rows,
                      "seconds": round(time.perf_counter() - t0, 3)}))


if __name__ == "__main__":
    main()
