#!/usr/bin/env python3
"""Runs the full-size model tests (ctest label `models-full`) until a deadline.

CI (`.ci/run`) calls this after the main suite and the sanitizer lane with
the time its budget has left:

    python3 tools/ci_full_models.py --build build --deadline EPOCH_SECONDS

It runs the `e2e.full.<graph>` tests one at a time, cheapest family first
(the graphs of one family together, so that generating the family's ONNX
files is paid once, by its first test). Before each test it compares the
estimated cost (COSTS below: seconds on an idle 2-core machine, plus the
family's generation when its files are missing, times --safety) with the
time left, and with the memory available (/proc/meminfo MemAvailable); a
test that does not fit is reported `skipped for time: ...` (or `skipped for
memory: ...`), never silently dropped, and the next, cheaper ones are still
tried. A test still running at the deadline is killed and counts as failed
(the estimates had a safety factor; a hang or a much slower compiler is
what that catches). The summary lists ran / passed / failed / skipped.
Exit status: 1 if a test that ran failed (or the build folder could not be
configured), else 0; skipped tests do not fail the run.

The tests exist only when DIR was configured with -DATTNC_FULL_MODELS=ON
(test/e2e/models-full.cmake; the option adds tests and nothing else, so no
rebuild follows). If `ctest -N -L models-full` lists none, this runs
`cmake -S <repo> -B DIR -DATTNC_FULL_MODELS=ON` (the cache keeps every other
option) and, unless --keep-config, turns the option back off at the end so
that a plain `ctest` in DIR does not start an hour of full-size models.

--dry-run prints the plan (assuming each test takes its estimate, without
the safety factor) and runs nothing, not even cmake. Python stdlib only.
"""

import argparse
import math
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --- Cost table ---------------------------------------------------------------
# Seconds on an idle 2-core x86-64 machine, GiB of peak resident memory.
# Sources: docs/models.md (2026-11-26). Generation: the family table's
# "On demand" times (wall clock while other builds ran; an idle run of
# torch_mha seed took 6 s against the 10 s quoted, so these lean high) and
# peak RSS. Per graph: the compile's CPU time from the full-size table (the
# compiler is mostly single-threaded, so CPU ~ idle wall time; an idle
# compile of torch_mha_seed took 3.2 s against the 2 s quoted) plus the rest
# of the test: Python/ONNX start-up, parsing the .onnx once to count
# parameters, running the .so on both data sets and comparing (~4 s for the
# 12 MiB graphs, ~10 s for 300-600 MiB, ~25 s for GPT-2 medium's 1.5 GiB).
# Memory: the larger of the generation's peak (if the family is generated
# by this test) and the compile's peak, each from docs/models.md.
# Families: models/<script>.py --config <config> writes all of its graphs.
FAMILIES = {
    # (script, config): (generate_s, generate_peak_gib)
    ("torch_mha", "seed"): (10, 0.4),
    ("torch_encoder", "base"): (10, 0.5),
    ("bert", "base"): (77, 3.3),
    ("vit", "b16"): (285, 2.7),
    ("marian", "opus-mt"): (67, 2.5),
    ("gpt2", "small"): (109, 4.7),
    ("gpt2", "medium"): (508, 11.3),
}
COSTS = {
    # graph: ((script, config), compile_and_run_s, compile_peak_gib)
    "torch_mha_seed": (("torch_mha", "seed"), 5, 0.2),
    "torch_encoder_base": (("torch_encoder", "base"), 20, 0.2),
    "bert_base": (("bert", "base"), 65, 1.8),
    "vit_b16": (("vit", "b16"), 55, 1.5),
    "marian_opus-mt_encoder": (("marian", "opus-mt"), 32, 0.9),
    "marian_opus-mt_decoder": (("marian", "opus-mt"), 55, 1.4),
    "marian_opus-mt_decoder_with_past": (("marian", "opus-mt"), 57, 1.4),
    "gpt2_small": (("gpt2", "small"), 65, 2.7),
    "gpt2_small_with_past": (("gpt2", "small"), 70, 2.7),
    "gpt2_medium": (("gpt2", "medium"), 150, 6.4),
    "gpt2_medium_with_past": (("gpt2", "medium"), 160, 6.4),
}
# A registered e2e.full.* test missing from COSTS (add it above): run last,
# assumed to cost this much.
UNKNOWN_COST_S = 900
UNKNOWN_PEAK_GIB = 12.0
MEMORY_MARGIN = 1.15  # on top of the peaks above (Python, ctest, page cache)

TEST_PREFIX = "e2e.full."


def log(msg):
    print(f"[ci-full-models] {msg}", flush=True)


def plan_order(graphs):
    """Cheapest family first (generation + all its graphs), cheapest graph
    first within a family; graphs without an estimate last."""
    known = [g for g in graphs if g in COSTS]
    unknown = sorted(g for g in graphs if g not in COSTS)
    family_total = {}
    for g in known:
        fam, run_s, _ = COSTS[g]
        family_total[fam] = family_total.get(fam, FAMILIES[fam][0]) + run_s
    known.sort(key=lambda g: (family_total[COSTS[g][0]], COSTS[g][0],
                              COSTS[g][1], g))
    return known + unknown


def estimate(graph, generated):
    """(seconds, GiB, what) for one test; `generated` says whether its
    family's files already exist."""
    if graph not in COSTS:
        return UNKNOWN_COST_S, UNKNOWN_PEAK_GIB, "no estimate in the table"
    fam, run_s, compile_gib = COSTS[graph]
    if generated:
        return run_s, compile_gib, "compile + run"
    gen_s, gen_gib = FAMILIES[fam]
    return (run_s + gen_s, max(compile_gib, gen_gib),
            f"compile + run + generate {fam[0]} {fam[1]}")


def mem_available_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None  # unknown: don't check


def cache_value(build, name):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(re.escape(name) + r":[A-Z]+=(.*)$",
                             line.rstrip("\n"))
                if m:
                    return m.group(1)
    except OSError:
        pass
    return None


def registered_tests(build):
    """Names (without the prefix) of the models-full tests, or None when
    ctest cannot read the folder."""
    proc = subprocess.run(["ctest", "--test-dir", build, "-N", "-L",
                           "models-full"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        return None
    names = re.findall(r"Test\s+#\d+:\s+" + re.escape(TEST_PREFIX) + r"(\S+)",
                       proc.stdout)
    return names


def configure(build, value):
    cmd = ["cmake", "-S", ROOT, "-B", build, f"-DATTNC_FULL_MODELS={value}"]
    log("configuring: " + " ".join(cmd))
    t0 = time.time()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        print(proc.stdout[-6000:], flush=True)
        log(f"error: cmake failed (rc {proc.returncode})")
        return False
    log(f"configured in {time.time() - t0:.0f} s")
    return True


def run_test(build, graph, deadline):
    """Runs one ctest test; returns (passed, seconds, note)."""
    cmd = ["ctest", "--test-dir", build, "-R",
           "^" + re.escape(TEST_PREFIX + graph) + "$", "--output-on-failure",
           "--no-tests=error"]
    log("$ " + " ".join(cmd))
    t0 = time.time()
    # Own process group, so that at the deadline ctest, the test driver and
    # the compiler all go.
    proc = subprocess.Popen(cmd, start_new_session=True)
    try:
        rc = proc.wait(timeout=max(1.0, deadline - time.time()))
        note = "" if rc == 0 else f"ctest rc {rc}"
    except subprocess.TimeoutExpired:
        kill_group(proc)
        rc, note = -1, "killed at the deadline"
    except BaseException:
        kill_group(proc)
        raise
    return rc == 0, time.time() - t0, note


def kill_group(proc):
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="Cost table and details: the docstring of this file.")
    parser.add_argument("--build", required=True,
                        help="the build folder (built; ctest runs here)")
    parser.add_argument("--deadline", type=float,
                        default=os.environ.get("ATTNC_CI_DEADLINE"),
                        help="Unix time by which every test must be done "
                        "(default: $ATTNC_CI_DEADLINE)")
    parser.add_argument("--safety", type=float, default=1.5,
                        help="a test starts only if estimate * SAFETY <= "
                        "time left (default 1.5)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the plan; run nothing")
    parser.add_argument("--keep-config", action="store_true",
                        help="if this turned ATTNC_FULL_MODELS on, leave it on")
    args = parser.parse_args(argv)
    if args.deadline is None:
        parser.error("give --deadline EPOCH_SECONDS or set ATTNC_CI_DEADLINE")
    args.deadline = float(args.deadline)
    build = os.path.abspath(args.build)
    if not os.path.isfile(os.path.join(build, "CMakeCache.txt")):
        log(f"error: {build} is not a configured build folder")
        return 1
    models_dir = (cache_value(build, "ATTNC_FULL_MODELS_DIR") or
                  os.path.join(build, "full-models"))
    start = time.time()

    def left():
        return args.deadline - time.time()

    graphs = registered_tests(build)
    if graphs is None:
        log(f"error: ctest cannot read {build}")
        return 1
    reconfigured = False
    if not graphs:
        graphs = list(COSTS)
        # Configure only if at least one test could run.
        cheapest = min(estimate(g, False)[0] * args.safety for g in graphs)
        if args.dry_run:
            log(f"{build} has no models-full tests; would run: cmake -S "
                f"{ROOT} -B {build} -DATTNC_FULL_MODELS=ON")
        elif cheapest <= left():
            if not configure(build, "ON"):
                return 1
            reconfigured = not args.keep_config
            graphs = registered_tests(build) or []
            if not graphs:
                log("error: still no models-full tests after configuring")
                if reconfigured:
                    configure(build, "OFF")
                return 1
    for g in graphs:
        if g not in COSTS:
            log(f"warning: no cost estimate for {TEST_PREFIX}{g} in "
                f"tools/ci_full_models.py; assuming {UNKNOWN_COST_S} s, "
                f"{UNKNOWN_PEAK_GIB:g} GiB")
    unregistered = [g for g in COSTS if g not in graphs]
    for g in unregistered:
        log(f"warning: {TEST_PREFIX}{g} is in the cost table but not "
            "registered by ctest")
    order = plan_order(graphs)

    mem = mem_available_gib()
    log(f"{len(order)} tests, {max(0, left()):.0f} s to the deadline "
        f"({time.strftime('%H:%M:%S', time.localtime(args.deadline))}), "
        f"safety factor {args.safety:g}, models in {models_dir}"
        + (f", {mem:.1f} GiB available" if mem is not None else ""))
    if args.dry_run:
        log("dry run: assuming each test takes its estimate (without the "
            "safety factor)")

    generated = set()  # families generated in this run (dry run: planned)
    ran, passed, failed, skipped_time, skipped_mem = [], [], [], [], []
    clock = time.time()  # dry run: simulated time
    try:
        for graph in order:
            fam = COSTS[graph][0] if graph in COSTS else None
            onnx = (os.path.join(models_dir, fam[0], graph + ".onnx")
                    if fam else None)
            have = fam in generated or (onnx is not None and
                                        os.path.exists(onnx))
            cost_s, peak_gib, what = estimate(graph, have)
            need_s = cost_s * args.safety
            now = clock if args.dry_run else time.time()
            left_s = args.deadline - now
            # Rounded so that the message never reads "needs ~22 s, 22 s left".
            need_txt = f"needs ~{math.ceil(need_s)} s"
            left_txt = f"{max(0, math.floor(left_s))} s left"
            if need_s > left_s:
                msg = f"{graph} ({need_txt}, {left_txt})"
                print(f"skipped for time: {msg}", flush=True)
                skipped_time.append(msg)
                continue
            mem = mem_available_gib()
            need_gib = peak_gib * MEMORY_MARGIN
            if mem is not None and need_gib > mem:
                msg = (f"{graph} (needs ~{need_gib:.1f} GiB, {mem:.1f} GiB "
                       "available)")
                print(f"skipped for memory: {msg}", flush=True)
                skipped_mem.append(msg)
                continue
            if args.dry_run:
                print(f"would run: {graph} (~{cost_s:.0f} s: {what}; "
                      f"{need_txt}, {left_txt})", flush=True)
                ran.append(graph)
                clock += cost_s
                if fam:
                    generated.add(fam)
                continue
            log(f"run: {graph} (~{cost_s:.0f} s: {what}; {need_txt}, "
                f"{left_txt})")
            ok, took, note = run_test(build, graph, args.deadline)
            ran.append(graph)
            line = f"{graph} in {took:.0f} s (estimate {cost_s:.0f} s)"
            if ok:
                passed.append(line)
            else:
                failed.append(line + f": {note}")
            log(("passed: " if ok else "FAILED: ") + line +
                ("" if ok else f": {note}"))
            if fam and onnx and os.path.exists(onnx):
                generated.add(fam)
    finally:
        if reconfigured:
            configure(build, "OFF")

    def section(title, items):
        print(f"  {title} ({len(items)})" + (":" if items else ""))
        for item in items:
            print(f"    {item}")

    total = (clock if args.dry_run else time.time()) - start
    print(f"full-size models {'plan' if args.dry_run else 'summary'}"
          f" ({total:.0f} s{', estimated' if args.dry_run else ''}):")
    if args.dry_run:
        section("would run", ran)
    else:
        section("ran", ran)
        section("passed", passed)
        section("failed", failed)
    section("skipped for time", skipped_time)
    if skipped_mem:
        section("skipped for memory", skipped_mem)
    if unregistered:
        section("in the cost table but not registered", unregistered)
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
