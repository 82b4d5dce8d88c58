#!/usr/bin/env python3
"""Summarizes the onnx-node ctest results as the table in docs/conformance.md.

    ctest --test-dir build -L onnx-node --output-junit onnx-node.xml
    python3 test/e2e/onnx-node/summarize.py build/onnx-node.xml > table.md

Both suites are summarized: onnx-node.* (xfail.txt) and onnx-node-new.*
(xfail-new.txt), one table each.

The input is either a JUnit file from `ctest --output-junit FILE` (a relative
FILE is written under the build dir) or ctest's log,
build/Testing/Temporary/LastTest.log; the format is detected. With no
argument, build/Testing/Temporary/LastTest.log is read.

Each node test is counted once, for the op its name is about:
  passed  ctest passed and the test is not in xfail.txt
  xfail   listed in the suite's xfail file and it failed, as expected (ctest passed it)
  failed  an unexpected failure: not listed and failed, or not run
  xpass   listed in xfail.txt but it passed: remove it from xfail.txt
Exits 1 if any test failed or unexpectedly passed, so it can gate CI.
"""

import argparse
import collections
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))

# Test-name prefix -> ONNX op (longest prefix wins); other tests are
# counted under their first name word, capitalized.
OPS = {
    "test_abs": "Abs", "test_add": "Add", "test_and": "And",
    "test_attention": "Attention", "test_basic_conv": "Conv",
    "test_cast": "Cast", "test_concat": "Concat",
    "test_constantofshape": "ConstantOfShape", "test_conv": "Conv",
    "test_cos": "Cos", "test_expand": "Expand", "test_flatten": "Flatten",
    "test_gather": "Gather", "test_identity": "Identity",
    "test_range": "Range", "test_reshape": "Reshape",
    "test_scatternd": "ScatterND", "test_shape": "Shape", "test_sin": "Sin",
    "test_size": "Size", "test_slice": "Slice", "test_split": "Split",
    "test_squeeze": "Squeeze", "test_unsqueeze": "Unsqueeze",
    "test_castlike": "CastLike", "test_div": "Div", "test_einsum": "Einsum",
    "test_equal": "Equal", "test_erf": "Erf", "test_exp": "Exp",
    "test_gather_elements": "GatherElements", "test_gelu": "Gelu",
    "test_gemm": "Gemm", "test_greater": "Greater",
    "test_greater_equal": "GreaterOrEqual",
    "test_layer_normalization": "LayerNormalization", "test_less": "Less",
    "test_less_equal": "LessOrEqual", "test_log": "Log",
    "test_logsoftmax": "LogSoftmax", "test_matmul": "MatMul",
    "test_matmulinteger": "MatMulInteger", "test_mod": "Mod",
    "test_mul": "Mul", "test_neg": "Neg", "test_not": "Not", "test_or": "Or",
    "test_pow": "Pow", "test_reciprocal": "Reciprocal",
    "test_reduce_max": "ReduceMax", "test_reduce_mean": "ReduceMean",
    "test_reduce_sum": "ReduceSum", "test_relu": "Relu",
    "test_sigmoid": "Sigmoid", "test_softmax": "Softmax", "test_sqrt": "Sqrt",
    "test_sub": "Sub", "test_tanh": "Tanh", "test_tile": "Tile",
    "test_transpose": "Transpose", "test_tril": "Trilu", "test_triu": "Trilu",
    "test_where": "Where", "test_xor": "Xor",
}

# The suites: ctest name prefix and expected-failure file.
SUITES = [
    ("onnx-node.", "xfail.txt", "onnx 1.12 (Debian libonnx-testdata)"),
    ("onnx-node-new.", "xfail-new.txt",
     "newer onnx wheel (fetched at configure time)"),
]


# Expected failures whose reason is an element or value type attnc
# deliberately lacks (float8/float4/int4/e8m0, strings, bfloat16 stored as
# UINT16, optional and sequence values): reported separately, as "type
# coverage", next to the overall rate.
TYPE_COVERAGE = re.compile(
    r"tensors are not supported|stores the bfloat16|optional and sequence")


def read_const_inputs(path):
    """Returns the ctest names (<suite>.<test>) of const-inputs.txt."""
    names = set()
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                body = line.partition("#")[0].split()
                if body:
                    names.add(body[0])
    return names


def op_of(test):
    best = max((p for p in OPS if test.startswith(p)), key=len, default=None)
    if best:
        return OPS[best]
    word = test[len("test_"):].split("_")[0] if test.startswith("test_") else test
    return word.capitalize()


def read_xfail(path):
    """Returns {test name: reason} from xfail.txt."""
    xfail = {}
    if not os.path.exists(path):
        return xfail
    with open(path) as f:
        for line in f:
            body, _, reason = line.partition("#")
            name = body.strip()
            if name:
                xfail[name] = reason.strip()
    return xfail


def read_junit(path):
    """Returns {ctest name: 'pass' | 'fail' | 'notrun'}."""
    results = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        status = case.get("status", "run")
        failed = case.find("failure") is not None or status == "fail"
        if status in ("notrun", "disabled") or case.find("skipped") is not None:
            results[case.get("name")] = "notrun"
        else:
            results[case.get("name")] = "fail" if failed else "pass"
    return results


def read_last_test_log(path):
    """Returns {ctest name: 'pass' | 'fail' | 'notrun'} from LastTest.log."""
    results = {}
    current = None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"\d+/\d+ Test: (\S+)", line)
            if m:
                current = m.group(1)
                results.setdefault(current, "notrun")
                continue
            if current and line.startswith("Test Passed."):
                results[current] = "pass"
                current = None
            elif current and (line.startswith("Test Failed.")
                              or line.startswith("Test Not Run")):
                results[current] = "fail" if line.startswith("Test Failed") \
                    else "notrun"
                current = None
    return results


def summarize(results, xfail, prefix, const_inputs):
    rows = collections.defaultdict(collections.Counter)
    details = collections.defaultdict(list)
    for name, status in sorted(results.items()):
        if not name.startswith(prefix):
            continue
        test = name[len(prefix):]
        op = op_of(test)
        rows[op]["tests"] += 1
        if test in xfail:
            kind = "xfail" if status == "pass" else (
                "xpass" if status == "fail" else "failed")
            if kind == "xfail" and TYPE_COVERAGE.search(xfail[test]):
                rows[op]["types"] += 1
        else:
            kind = "passed" if status == "pass" else "failed"
            if kind == "passed" and name in const_inputs:
                rows[op]["const"] += 1
        rows[op][kind] += 1
        if kind != "passed":
            details[kind].append((test, xfail.get(test, status)))
    return rows, details


def render(rows, details, xfail_name):
    out = [
        "| op | tests | passed | of which const-input | xfail | of which types "
        "| failed |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total = collections.Counter()
    for op in sorted(rows):
        r = rows[op]
        total.update(r)
        failed = r["failed"] + r["xpass"]
        out.append(f"| {op} | {r['tests']} | {r['passed']} | {r['const']} | "
                   f"{r['xfail']} | {r['types']} | {failed} |")
    out.append(f"| **total** | {total['tests']} | {total['passed']} | "
               f"{total['const']} | {total['xfail']} | {total['types']} | "
               f"{total['failed'] + total['xpass']} |")
    titles = {
        "xfail": f"Expected failures (test/e2e/onnx-node/{xfail_name})",
        "failed": "Unexpected failures",
        "xpass": f"Listed in {xfail_name} but passing (remove them there)",
    }
    for kind in ("xfail", "failed", "xpass"):
        if details[kind]:
            out += ["", f"{titles[kind]}:", ""]
            out += [f"- `{t}`" + (f": {why}" if why else "")
                    for t, why in details[kind]]
    return "\n".join(out) + "\n", total


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("results", nargs="?",
                        default="build/Testing/Temporary/LastTest.log",
                        help="ctest JUnit XML or LastTest.log")
    parser.add_argument("-o", "--output", help="write the tables here")
    args = parser.parse_args(argv)

    if not os.path.exists(args.results):
        sys.exit(f"error: {args.results} not found; run "
                 "`ctest --test-dir build -L onnx-node` first")
    with open(args.results, errors="replace") as f:
        is_xml = f.read(200).lstrip().startswith("<")
    results = (read_junit if is_xml else read_last_test_log)(args.results)

    parts = [f"<!-- generated by test/e2e/onnx-node/summarize.py from "
             f"{os.path.basename(args.results)} -->", ""]
    grand = collections.Counter()
    bad = 0
    const_inputs = read_const_inputs(os.path.join(HERE, "const-inputs.txt"))
    for prefix, xfail_name, title in SUITES:
        if not any(n.startswith(prefix) for n in results):
            parts += [f"### {prefix}*, {title}", "",
                      "Not run (no such tests in the results).", ""]
            continue
        xfail = read_xfail(os.path.join(HERE, xfail_name))
        rows, details = summarize(results, xfail, prefix, const_inputs)
        text, total = render(rows, details, xfail_name)
        grand.update(total)
        bad += total["failed"] + total["xpass"]
        rate = 100.0 * total["passed"] / max(1, total["tests"])
        typed = total["tests"] - total["types"]
        trate = 100.0 * total["passed"] / max(1, typed)
        parts += [f"### {prefix}*, {title}: {total['passed']} of "
                  f"{total['tests']} pass ({rate:.1f}%); without the "
                  f"{total['types']} type-coverage tests {total['passed']} of "
                  f"{typed} ({trate:.1f}%)", "", text]
    if not grand:
        sys.exit(f"error: no onnx-node tests in {args.results}")
    rate = 100.0 * grand["passed"] / max(1, grand["tests"])
    typed = grand["tests"] - grand["types"]
    trate = 100.0 * grand["passed"] / max(1, typed)
    parts.insert(2, f"Both suites: **{grand['passed']} of {grand['tests']} "
                    f"node tests pass ({rate:.1f}%)**; without the "
                    f"{grand['types']} type-coverage tests (element types "
                    f"attnc deliberately lacks) **{grand['passed']} of "
                    f"{typed} ({trate:.1f}%)**. {grand['const']} of the "
                    f"passes are compiled with shape inputs fixed "
                    f"(const-inputs.txt); {grand['xfail']} expected failures, "
                    f"{grand['failed'] + grand['xpass']} unexpected.\n")
    text = "\n".join(parts)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
