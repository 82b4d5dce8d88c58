#!/usr/bin/env python3
"""Which ONNX ops a model uses: domain, op type, opset and node count.

    op_inventory.py MODEL.onnx...              one table per model
    op_inventory.py --matrix MODEL.onnx...     one table: ops x models (counts)
    op_inventory.py --attnc build/bin/attnc ... also mark the ops attnc
                                               supports (`attnc --list-ops`)

Nodes inside subgraphs (If/Loop/Scan bodies) are counted too. The opset of
an op is the model's opset import for its domain. Tables are Markdown.
Only the onnx Python package is needed (no weights are loaded beyond what
onnx.load reads; external data is not loaded).
"""

import argparse
import collections
import os
import subprocess
import sys

import onnx


def iter_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from iter_nodes(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    yield from iter_nodes(g)


def inventory(path):
    """Returns ({(domain, op_type): count}, {domain: opset}) for the model."""
    model = onnx.load(path, load_external_data=False)
    opsets = {(o.domain or "ai.onnx"): o.version for o in model.opset_import}
    counts = collections.Counter(
        (node.domain or "ai.onnx", node.op_type) for node in iter_nodes(model.graph))
    return counts, opsets


def model_label(path):
    return os.path.splitext(os.path.basename(path))[0]


def attnc_supported(attnc):
    """{(domain, op)} from `attnc --list-ops` (a Markdown table)."""
    out = subprocess.run([attnc, "--list-ops"], check=True, text=True,
                         stdout=subprocess.PIPE).stdout
    ops = set()
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] not in ("domain", "") and not cells[0].startswith("-"):
            ops.add((cells[0], cells[1]))
    return ops


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("models", nargs="+", metavar="MODEL.onnx")
    parser.add_argument("--matrix", action="store_true",
                        help="one combined table, a column per model")
    parser.add_argument("--attnc", metavar="BIN",
                        help="mark ops that `BIN --list-ops` lists as supported")
    args = parser.parse_args(argv)

    supported = attnc_supported(args.attnc) if args.attnc else None
    mark = (lambda key: " ✓" if key in supported else "") if supported else (lambda key: "")
    invs = [(model_label(p), *inventory(p)) for p in args.models]

    if not args.matrix:
        for label, counts, opsets in invs:
            total = sum(counts.values())
            print(f"### {label}: {total} nodes, {len(counts)} op types, opsets "
                  + ", ".join(f"{d} {v}" for d, v in sorted(opsets.items())))
            print()
            print("| domain | op | opset | count |" + (" attnc |" if supported else ""))
            print("|---|---|---:|---:|" + ("---|" if supported else ""))
            for (domain, op), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
                extra = (" yes |" if (domain, op) in supported else " no |") if supported else ""
                print(f"| {domain} | {op} | {opsets.get(domain, '?')} | {n} |{extra}")
            print()
        return 0

    keys = sorted({k for _, counts, _ in invs for k in counts},
                  key=lambda k: (k[0] != "ai.onnx", k[0], k[1]))
    labels = [label for label, _, _ in invs]
    print("| op | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for key in keys:
        domain, op = key
        name = op if domain == "ai.onnx" else f"{domain}::{op}"
        cells = [str(counts.get(key, "")) for _, counts, _ in invs]
        print(f"| {name}{mark(key)} | " + " | ".join(cells) + " |")
    print("| **nodes** | " + " | ".join(str(sum(c.values())) for _, c, _ in invs) + " |")
    print("| **op types** | " + " | ".join(str(len(c)) for _, c, _ in invs) + " |")
    print("| **opset** | " + " | ".join(
        str(o.get("ai.onnx", "?")) for _, _, o in invs) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
