#!/usr/bin/env python3
"""Reads every CSV and JSON file cesim wrote with Python's standard csv and json parsers and
checks them against docs/cli.md: the documented columns, numbers where numbers belong, and the
same values in the CSV and JSON forms of one result.

usage: roundtrip.py DOCS_CLI_MD RUN_DIR COMPARE_DIR PRIORITIZE_DIR
"""
import csv
import json
import math
import pathlib
import re
import sys

TEXT_COLUMNS = {"arm", "variant", "segment", "metric", "unit", "touchpoint", "phase", "action",
                "origin", "campaign", "type", "kind"}
failures = []


def fail(message):
    failures.append(message)


def documented_columns(docs):
    text = pathlib.Path(docs).read_text(encoding="utf-8")
    found = dict(re.findall(r"Columns of `([\w.]+\.csv)`: `([^`]+)`", text))
    return {name: header.split(",") for name, header in found.items()}


def read_csv(path, documented):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        fail(f"{path}: empty")
        return []
    header, body = rows[0], rows[1:]
    if path.name in documented and header != documented[path.name]:
        fail(f"{path}: columns {header} differ from docs/cli.md {documented[path.name]}")
    if not body:
        fail(f"{path}: no rows")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            fail(f"{path}:{number}: {len(row)} cells for {len(header)} columns")
            continue
        for column, cell in zip(header, row):
            if column in TEXT_COLUMNS or cell == "":
                continue
            try:
                value = float(cell)
            except ValueError:
                fail(f"{path}:{number}: column {column} is not a number: {cell!r}")
                continue
            if not math.isfinite(value):
                fail(f"{path}:{number}: column {column} is not finite: {cell!r}")
    return [dict(zip(header, row)) for row in body]


def check_directory(directory, documented, expected):
    directory = pathlib.Path(directory)
    tables, documents = {}, {}
    for name in expected:
        if not (directory / name).is_file():
            fail(f"{directory}: {name} missing")
    for path in sorted(directory.glob("*.csv")):
        tables[path.name] = read_csv(path, documented)
    for path in sorted(directory.glob("*.json")):
        try:
            documents[path.name] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            fail(f"{path}: not JSON: {error}")
    return tables, documents


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def main():
    docs, run_dir, compare_dir, prioritize_dir = sys.argv[1:5]
    documented = documented_columns(docs)
    for name in ("bands.csv", "comparison.csv", "runs.csv", "priorities.csv"):
        if name not in documented:
            fail(f"docs/cli.md documents no columns for {name}")

    tables, documents = check_directory(
        run_dir, documented, ["summary.json", "timeseries.csv", "bands.csv", "manifest.json"])
    summary = documents.get("summary.json", {})
    total = [s for s in summary.get("segments", []) if s["segment"] == "total"]
    bands = [r for r in tables.get("bands.csv", [])
             if r["segment"] == "total" and r["metric"] == "customers"]
    if total and bands:
        last = max(bands, key=lambda r: int(r["step"]))
        if not close(float(last["mean"]), total[0]["metrics"]["customers_end"]["mean"]):
            fail("run: bands.csv customers at the horizon differ from summary.json customers_end")
    else:
        fail("run: no total in summary.json or bands.csv")

    tables, documents = check_directory(
        compare_dir, documented,
        ["comparison.json", "comparison.csv", "runs.csv", "bands.csv", "report.html"])
    comparison = documents.get("comparison.json", {})
    for key in ("baseline", "replications", "segments", "metrics", "variants"):
        if key not in comparison:
            fail(f"comparison.json: no key {key}")
    csv_rows = {(r["variant"], r["segment"], r["metric"]): r
                for r in tables.get("comparison.csv", [])}
    runs = tables.get("runs.csv", [])
    for variant in comparison.get("variants", []):
        for segment in variant["segments"]:
            for metric, values in segment["metrics"].items():
                row = csv_rows.get((variant["name"], segment["segment"], metric))
                if row is None:
                    fail(f"comparison.csv: no row for {variant['name']} {segment['segment']} {metric}")
                    continue
                mean = values["difference"]["mean"]
                if mean is not None and not close(float(row["difference"]), mean):
                    fail(f"comparison: {variant['name']} {metric} differs between CSV and JSON")
        # The paired difference is the mean of per-replication differences in runs.csv.
        per_run = {}
        for r in runs:
            if r["segment"] == "total" and r["metric"] == "loyalty":
                per_run.setdefault(r["arm"], {})[int(r["replication"])] = float(r["value"])
        base, arm = per_run.get("baseline", {}), per_run.get(variant["name"], {})
        if base and arm:
            diffs = [arm[k] - base[k] for k in base]
            total_metrics = [s for s in variant["segments"] if s["segment"] == "total"][0]["metrics"]
            if not close(sum(diffs) / len(diffs), total_metrics["loyalty"]["difference"]["mean"]):
                fail(f"runs.csv does not reproduce the paired loyalty difference of {variant['name']}")
        else:
            fail(f"runs.csv: no loyalty rows for baseline and {variant['name']}")

    tables, documents = check_directory(
        prioritize_dir, documented, ["priorities.json", "priorities.csv", "runs.csv", "report.html"])
    priorities = documents.get("priorities.json", {})
    ranked = priorities.get("touchpoints", [])
    if not ranked:
        fail("priorities.json: no touchpoints")
    else:
        first_csv = [r for r in tables.get("priorities.csv", []) if r["rank"] == "1"]
        if not first_csv or first_csv[0]["touchpoint"] != ranked[0]["touchpoint"]:
            fail("priorities: rank 1 differs between CSV and JSON")
        for r in tables.get("priorities.csv", []):
            entry = next((t for t in ranked if t["touchpoint"] == r["touchpoint"]), None)
            effects = entry and entry.get(r["action"])
            if not effects:
                fail(f"priorities.json: no {r['action']} for {r['touchpoint']}")
                continue
            mean = effects[r["metric"]]["difference"]["mean"]
            if mean is not None and not close(float(r["difference"]), mean):
                fail(f"priorities: {r['touchpoint']} {r['action']} {r['metric']} differs")

    if failures:
        print("\n".join(failures))
        print(f"{len(failures)} problem(s)")
        return 1
    print("round trip ok: every CSV and JSON file parsed; columns as documented; CSV equals JSON")
    return 0


if __name__ == "__main__":
    sys.exit(main())
