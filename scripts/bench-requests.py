#!/usr/bin/env python3
"""Writes the list shapes of Benchmarks/ (BenchSupport/Scenarios.swift) as `syncevents bench` requests for
a generated NDJSON file: one organization (the first event's), its instances, a push target, a SHA prefix.

    scripts/bench-requests.py EVENTS.ndjson > requests.ndjson     # names go to stderr, in the same order
"""
import json
import sys

org = None
instances = []
seen = set()
target = None
sha = None
with open(sys.argv[1], encoding="utf-8") as f:
    for n, line in enumerate(f):
        e = json.loads(line)
        if org is None:
            org = e["organizationId"]
        if e["organizationId"] != org:
            continue
        if e["connectorInstanceId"] not in seen:
            seen.add(e["connectorInstanceId"])
            instances.append(e["connectorInstanceId"])
        if target is None and e["eventType"] == "push" and e.get("connectorTargetId") and e.get("sourceRevisionRef"):
            target, sha = e["connectorTargetId"], e["sourceRevisionRef"][:12]
        if n > 200_000 and target:
            break
instances.sort()
admin = "admin"
member20 = {"visibleInstances": instances[::15][:20]}
member200 = {"visibleInstances": instances[:200]}
shapes = [
    ("list.noFilter", admin, "limit=50"),
    ("list.instance", admin, f"connectorInstanceId={instances[10]}&limit=50"),
    ("list.status", admin, "status=failed&limit=50"),
    ("list.instanceStatus", admin, f"connectorInstanceId={instances[10]}&status=failed&limit=50"),
    ("list.targetEventType", admin, f"connectorTargetId={target}&eventType=push&limit=50"),
    ("list.member20", member20, "limit=50"),
    ("list.member200", member200, "limit=50"),
    ("q.often", admin, "q=manual&limit=50"),
    ("q.frequent1", admin, "q=a&limit=50"),
    ("q.frequent2", admin, "q=e3&limit=50"),
    ("q.rare", admin, f"q={sha}&limit=50"),
    ("q.rareWord", admin, "q=jos%C3%A9&limit=50"),
    ("q.absent", admin, "q=no-such-delivery&limit=50"),
    ("q.absent1", admin, "q=q&limit=50"),
    ("q.absent2", admin, "q=qx&limit=50"),
    ("q.member20Absent", member20, "q=no-such-delivery&limit=50"),
]
for name, viewer, query in shapes:
    print(json.dumps({"organizationId": org, "viewer": viewer, "query": query}))
    print(name, file=sys.stderr)
