#!/usr/bin/env python3
"""Turns the text output of `swift package benchmark` (StoreVersusSQLite) into the tables of BENCHMARKS.md.

    python3 scripts/report.py .cache/run-full.log > .cache/tables.md

One table per scenario: a row per dataset size, p50 and p99 of wall-clock time for each engine, and the
ratio store/peer of the p50s (below 1 means the store is faster; `x` faster is its inverse). The sizes
on disk come from `.cache/sizes-<size>.md`, written when a dataset is loaded.
"""
import os
import re
import sys
from collections import OrderedDict, defaultdict

UNITS = {"ns": 1e-3, "μs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def parse(path):
    """{(scenario, size, engine): (p50_us, p99_us, samples)} in the order of the log."""
    results = OrderedDict()
    name = None
    for raw in open(path, encoding="utf-8", errors="replace"):
        line = ANSI.sub("", raw).rstrip("\n")
        if re.match(r"^[a-zA-Z][\w.]* \S+ \S+$", line.strip()) and "│" not in line:
            name = tuple(line.strip().split(" "))
            continue
        m = re.match(r"^│ Time \(wall clock\) \((\w+)\)", line)
        if m and name:
            cells = [c.strip() for c in line.split("│")[2:-1]]
            scale = UNITS[m.group(1)]
            p50, p99, samples = float(cells[2]) * scale, float(cells[5]) * scale, int(cells[7])
            results[name] = (p50, p99, samples)
            name = None
    return results


def fmt(us):
    if us >= 1e6:
        return f"{us / 1e6:.2f} s"
    if us >= 1e3:
        return f"{us / 1e3:.2f} ms"
    return f"{us:.0f} µs" if us >= 10 else f"{us:.1f} µs"


def ratio(a, b):
    if not a or not b:
        return "–"
    r = a / b
    return f"{r:.3g} ({b / a:.3g}× faster)" if r < 1 else f"{r:.3g} ({r:.3g}× slower)"


SIZE_ORDER = {"10k": 0, "100k": 1, "1M": 2, "-": 3}


def main():
    results = parse(sys.argv[1])
    by_scenario = OrderedDict()
    for (scenario, size, engine), value in results.items():
        by_scenario.setdefault(scenario, defaultdict(dict))[size][engine] = value
    out = []
    for scenario, sizes in by_scenario.items():
        engines = []
        for size in sizes.values():
            for e in size:
                if e not in engines:
                    engines.append(e)
        peers = [e for e in engines if e.startswith("sqlite")]
        store = "lmdb" if "lmdb" in engines else ("store" if "store" in engines else None)
        header = ["size"] + [f"{e} p50 / p99" for e in engines]
        if store and peers:
            header += [f"{store}/{p} (p50)" for p in peers]
        if scenario == "encode.page50":
            header += ["store/foundation (p50)"]
        if scenario.startswith("import"):
            header += [f"{e} events/s" for e in engines]
        out.append(f"#### `{scenario}`\n")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for size in sorted(sizes, key=lambda s: SIZE_ORDER.get(s, 9)):
            row = [size]
            cells = sizes[size]
            for e in engines:
                v = cells.get(e)
                row.append(f"{fmt(v[0])} / {fmt(v[1])}" if v else "–")
            if store and peers:
                for p in peers:
                    row.append(ratio(cells.get(store, (None,))[0], cells.get(p, (None,))[0]))
            if scenario == "encode.page50":
                row.append(ratio(cells.get("store", (None,))[0], cells.get("foundation", (None,))[0]))
            if scenario.startswith("import"):
                for e in engines:
                    v = cells.get(e)
                    row.append(f"{100_000 / (v[0] / 1e6):,.0f}" if v else "–")
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    cache = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])))
    for label in ["10k", "100k", "1M"]:
        p = os.path.join(cache, f"sizes-{label}.md")
        if os.path.exists(p):
            out.append("#### " + open(p, encoding="utf-8").read())
    print("\n".join(out))


if __name__ == "__main__":
    main()
