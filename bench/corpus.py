"""The corpus benchmark: pyasm's text round trip on the CPython 3.11
standard library, side by side with what users would otherwise use, and a
series of growing modules. Run by bench/run.sh, which builds what it needs;
prints a report and asserts nothing.

usage: corpus.py --pyasm BIN --corpus-bin BIN --work DIR --venv-python PY
                 [--reps N] [--bytecode-reps N] [--parts corpus,linearity]
                 [--sizes 1,2,4,...] [--unit N]

Every figure is the median of --reps runs (each run also printed). The
corpus is every .py file of this python3.11's standard library, tests
included (site-packages excluded), compiled by it; files it refuses to
compile (deliberately broken test inputs) are skipped and counted.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def median(xs):
    return statistics.median(xs)


def fmt_s(x):
    return f"{x:.3f} s" if x < 100 else f"{x:.1f} s"


def mib(kib):
    return f"{kib / 1024:.0f} MiB"


def run_timed(cmd, env=None, ok=(0,)):
    """Runs cmd; returns (wall seconds, CPU seconds, peak resident KiB) of
    the child (its CPU includes the processes it started and waited for).
    `ok`: the exit statuses that are not a failure."""
    # stderr goes to a file: a pipe nobody reads while the child runs fills
    # up (build prints the verifier's warnings) and stops the child.
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        # wait4 gives this child's own rusage, peak memory included.
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode not in ok:
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace")[-4000:])
            raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def json_of(cmd):
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def tree_bytes(d, ext):
    n = b = 0
    for dirpath, _, files in os.walk(d):
        for f in files:
            if f.endswith(ext):
                n += 1
                b += os.path.getsize(os.path.join(dirpath, f))
    return n, b


def row(label, *cells, width=34, cell=22):
    print(f"  {label:<{width}}" + "".join(f"{c:>{cell}}" for c in cells))


# ---------------------------------------------------------------------------
# the standard library


def corpus(a):
    cores = os.cpu_count() or 1
    work = a.work
    orig = os.path.join(work, "orig")
    text = os.path.join(work, "text")
    rebuilt = os.path.join(work, "rebuilt")
    stdlib = sysconfig.get_paths()["stdlib"]
    print(f"== Corpus: the standard library of Python {platform.python_version()} ({stdlib})")
    if os.path.exists(orig):
        shutil.rmtree(orig)
    compiled = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests/py/compile_tree.py"), stdlib, orig,
         "--exclude", "site-packages"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ).stdout.strip()
    n_pyc, pyc_bytes = tree_bytes(orig, ".pyc")
    print(f"   {compiled} (refused: not valid Python 3.11, skipped and counted); "
          f"{n_pyc} .pyc files, {pyc_bytes / 1e6:.1f} MB")

    # Each setting's runs: wall seconds, CPU seconds, peak KiB.
    runs = {}
    env = dict(os.environ)
    env.pop("RAYON_NUM_THREADS", None)
    for lab, jobs in [("all", []), ("one", ["-j", "1"])]:
        for step in ("dis", "build"):
            runs[(step, lab)] = []
        for _ in range(a.reps):
            for d in (text, rebuilt):
                if os.path.exists(d):
                    shutil.rmtree(d)
            runs[("dis", lab)].append(run_timed([a.pyasm, "dis", orig, "-o", text, *jobs], env))
            runs[("build", lab)].append(
                run_timed([a.pyasm, "build", text, "-o", rebuilt, *jobs], env))
        for step in ("dis", "build"):
            show_runs(f"pyasm {step}, {LABEL[lab]}", runs[(step, lab)])
    n_text, text_bytes = tree_bytes(text, ".pyasm")

    # CPython's compiler on the same modules, from their sources: what
    # `pyasm build` has less to do than (no parsing of Python, no symbol
    # tables, no optimizer). The .pyc files go to a prefix of their own;
    # compileall exits 1 for the sources it refuses, which compile_tree.py
    # skipped too.
    prefix = os.path.join(work, "compileall")
    for lab, jobs in [("all", "0"), ("one", "1")]:
        runs[("compileall", lab)] = []
        for _ in range(a.reps):
            if os.path.exists(prefix):
                shutil.rmtree(prefix)
            runs[("compileall", lab)].append(run_timed(
                [sys.executable, "-m", "compileall", "-q", "-f", "-j", jobs,
                 "-x", "site-packages", stdlib],
                dict(env, PYTHONPYCACHEPREFIX=prefix), ok=(0, 1)))
        show_runs(f"compileall, {LABEL[lab]}", runs[("compileall", lab)])

    # The round trip must be real: the rebuilt files equal the originals.
    cmp = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests/py/compare_pyc.py"), orig, rebuilt],
        stdout=subprocess.PIPE, text=True,
    ).stdout.strip().splitlines()
    identical = cmp[-1] if cmp else "(no report)"
    print(f"   rebuilt vs original, compared field by field in python3.11: {identical}")

    parse = {}
    for lab, threads in [("all", 0), ("one", 1)]:
        r = json_of([a.corpus_bin, "parse", text, "--threads", str(threads),
                     "--reps", str(a.reps)])
        parse[lab] = r
        runs[("parse", lab)] = [(w, c, 0) for w, c in zip(r["seconds"], r["cpu_seconds"])]
        show_runs(f"tree-sitter bare parse, {LABEL[lab]}", runs[("parse", lab)])

    base = {}
    for mode, py in [("bytecode", a.venv_python), ("marshal", sys.executable),
                     ("dis.dis", sys.executable)]:
        for lab, jobs in [("all", cores), ("one", 1)]:
            # bytecode is slow: --bytecode-reps runs per setting.
            reps = a.bytecode_reps if mode == "bytecode" else a.reps
            r = json_of([py, os.path.join(HERE, "baselines.py"), mode, orig,
                         "--jobs", str(jobs), "--reps", str(reps)])
            base[(mode, lab)] = r
            runs[(mode, lab)] = [(w, c, r["maxrss_kib"])
                                 for w, c in zip(r["seconds"], r["cpu_seconds"])]
            what = "listing" if mode == "dis.dis" else "round trip"
            show_runs(f"{mode} {what}, {LABEL[lab]}", runs[(mode, lab)])

    ph = json_of([a.corpus_bin, "phases", orig, "--reps", str(a.reps),
                  "--scratch", os.path.join(work, "scratch")])

    # ---- the report
    wall = {k: median([x[0] for x in v]) for k, v in runs.items()}
    cpu = {k: median([x[1] for x in v]) for k, v in runs.items()}
    mem = {k: median([x[2] for x in v]) for k, v in runs.items()}
    for t in (wall, cpu):
        for lab in ("all", "one"):
            t[("rt", lab)] = t[("dis", lab)] + t[("build", lab)]
    bc = base[("bytecode", "all")]
    print()
    print(f"   {n_pyc} modules, {bc.get('code_objects', '?')} code objects; "
          f"{pyc_bytes / 1e6:.1f} MB of .pyc, {text_bytes / 1e6:.1f} MB of .pyasm "
          f"in {n_text} files ({parse['one']['lines']:,} lines, "
          f"{parse['one']['nodes']:,} tree nodes)")
    if bc.get("failed_modules"):
        print(f"   bytecode {bc['version']} failed on {bc['failed_modules']} modules "
              "(their time still counts)")
    print(f"   medians of {a.reps} runs (bytecode: {a.bytecode_reps}); 'all cores' is "
          f"{cores} here. CPU = user + system time of the processes doing the work.")
    print()
    cols = (f"wall, {cores} cores", "wall, 1 core", f"CPU, {cores} cores", "CPU, 1 core")
    row("", *cols, cell=16)
    for key, label in [
        ("dis", "pyasm dis (.pyc -> .pyasm)"),
        ("build", "pyasm build (.pyasm -> .pyc)"),
        ("rt", "pyasm text round trip"),
        ("bytecode", f"bytecode {bc['version']} object round trip"),
        ("marshal", "marshal loads+dumps"),
        ("compileall", "CPython compileall (.py -> .pyc)"),
        ("dis.dis", "CPython dis.dis listing (in process)"),
        ("parse", "tree-sitter bare parse of .pyasm"),
    ]:
        row(label, fmt_s(wall[(key, "all")]), fmt_s(wall[(key, "one")]),
            fmt_s(cpu[(key, "all")]), fmt_s(cpu[(key, "one")]), cell=16)
    mb = text_bytes / 1e6
    row(".pyasm written by dis, MB/s", f"{mb / wall[('dis', 'all')]:.1f}",
        f"{mb / wall[('dis', 'one')]:.1f}", f"{mb / cpu[('dis', 'all')]:.1f}",
        f"{mb / cpu[('dis', 'one')]:.1f}", cell=16)
    row(".pyasm read by build, MB/s", f"{mb / wall[('build', 'all')]:.1f}",
        f"{mb / wall[('build', 'one')]:.1f}", f"{mb / cpu[('build', 'all')]:.1f}",
        f"{mb / cpu[('build', 'one')]:.1f}", cell=16)
    row("peak memory, pyasm dis", mib(mem[("dis", "all")]), mib(mem[("dis", "one")]), cell=16)
    row("peak memory, pyasm build", mib(mem[("build", "all")]), mib(mem[("build", "one")]),
        cell=16)
    row("peak memory, bytecode (all processes)", mib(mem[("bytecode", "all")]),
        mib(mem[("bytecode", "one")]), cell=16)
    print()
    print("   ratios, from this run's medians:")
    for name, t in (("wall", wall), ("CPU", cpu)):
        for lab in ("all", "one"):
            print(f"     {name}, {LABEL[lab]}: bytecode / pyasm round trip = "
                  f"{t[('bytecode', lab)] / t[('rt', lab)]:.1f}x (goal >= 30x); "
                  f"bytecode / bare parse = {t[('bytecode', lab)] / t[('parse', lab)]:.1f}x "
                  f"(the most any design parsing with tree-sitter could reach); "
                  f"round trip / marshal = {t[('rt', lab)] / t[('marshal', lab)]:.0f}x")
    for lab in ("all", "one"):
        print(f"     CPU, {LABEL[lab]}: pyasm build / compileall = "
              f"{cpu[('build', lab)] / cpu[('compileall', lab)]:.2f}x (goal <= 0.5x); "
              f"pyasm dis / dis.dis = {cpu[('dis', lab)] / cpu[('dis.dis', lab)]:.2f}x "
              "(pyasm dis also reads and writes files, and checks each listing by "
              "assembling it again)")
    for name, t in (("wall", wall), ("CPU", cpu)):
        for lab in ("all", "one"):
            rest = t[("build", lab)] - t[("parse", lab)]
            print(f"     {name}, {LABEL[lab]}: build - bare parse = {fmt_s(rest)} = "
                  f"{rest / t[('parse', lab)]:.2f}x the bare parse (goal <= 1x; "
                  "includes reading, writing and starting the process)")

    print()
    print(f"   phases on one core, in process, files already in memory (medians of {a.reps}; "
          "the same files, file by file):")
    pw = {k: median(v) for k, v in ph["seconds"].items()}
    pc = {k: median(v) for k, v in ph["cpu_seconds"].items()}
    row("", "wall", "CPU", width=44, cell=10)
    order = [
        ("dis.marshal_read", "dis: marshal read"),
        ("dis.disassemble", "dis: disassemble + reassembly check"),
        ("dis.print", "dis: print"),
        ("dis.whole", "dis: all of pyasm::disassemble_pyc"),
        ("build.parse", "build: parse (tree-sitter)"),
        ("build.free_tree", "build: free the tree"),
        ("build.lower", "build: lower tree -> model"),
        ("build.assemble_unverified", "build: assemble, verifier off"),
        ("build.assemble", "build: assemble, verifier on"),
        ("build.marshal_write", "build: marshal write"),
        ("path.parse", "build as the command does: parse"),
        ("path.analyse", "  lower, free the tree, assemble, verify"),
        ("path.link", "  link the blocks"),
        ("path.marshal_write", "  marshal write"),
        ("path.free", "  free the code object"),
        ("build.whole", "build: all of pyasm::assemble_text"),
        ("write.pyasm_plain", "write the .pyasm bytes (fs::write)"),
        ("write.pyasm_atomic", "write the .pyasm bytes (temp + rename)"),
        ("write.pyc_plain", "write the .pyc bytes (fs::write)"),
        ("write.pyc_atomic", "write the .pyc bytes (temp + rename)"),
    ]
    for key, label in order:
        if key in pw:
            row(label, fmt_s(pw[key]), fmt_s(pc[key]), width=44, cell=10)
    for name, p in (("wall", pw), ("CPU", pc)):
        parse_floor = p["build.parse"] + p["build.free_tree"]
        lower_encode = p["build.lower"] + p["build.assemble"] + p["build.marshal_write"]
        analysis = p["build.assemble"] - p["build.assemble_unverified"]
        print(f"     {name}: lowering + assembling + encoding = {fmt_s(lower_encode)} = "
              f"{lower_encode / parse_floor:.2f}x the parse and free (goal <= 1x), "
              f"the verifier's analyses {fmt_s(analysis)} of it; whole build = "
              f"{p['build.whole'] / (parse_floor + lower_encode):.2f}x the phases' sum")
        path_rest = p["path.analyse"] + p["path.link"] + p["path.marshal_write"]
        print(f"     {name}: as pyasm build does it, lowering + assembling with the verifier "
              f"+ linking + encoding (and freeing the tree) = {fmt_s(path_rest)} = "
              f"{path_rest / p['path.parse']:.2f}x the parse")
        print(f"     {name}: print = {p['dis.print'] / p['write.pyasm_plain']:.2f}x writing "
              f"its bytes with fs::write, {p['dis.print'] / p['write.pyasm_atomic']:.2f}x "
              "with temp + rename (goal: near 1x)")


LABEL = {"all": "all cores", "one": "one core"}


def show_runs(label, runs):
    print(f"   {label}: " + ", ".join(f"{w:.2f}" for w, _, _ in runs) + " s wall; "
          + ", ".join(f"{c:.2f}" for _, c, _ in runs) + " s CPU")


# ---------------------------------------------------------------------------
# the linearity series


def unit(k, ind):
    """One statement group: branches, a loop, an exception handler, a with
    statement, a comprehension, calls, constants and locals of its own."""
    return [
        f"{ind}x{k} = a + {k}",
        f"{ind}if x{k} > {k % 7} and b:",
        f"{ind}    x{k} = x{k} * 2 + len('s{k}')",
        f"{ind}for i{k} in range(x{k} % 3):",
        f"{ind}    a = a + i{k}",
        f"{ind}try:",
        f"{ind}    a = a // (x{k} - {k})",
        f"{ind}except ZeroDivisionError as e{k}:",
        f"{ind}    a = str(e{k}).count('a')",
        f"{ind}with open(__file__) as f{k}:",
        f"{ind}    b = [c for c in f{k}.name if c != '{k % 10}']",
        f"{ind}a = (a, {k}.5, b, ('t{k}', None))[0]",
    ]


def module(shape, n):
    lines = []
    if shape == "functions":
        for k in range(n):
            lines.append(f"def f{k}(a, b=None):")
            lines += unit(k, "    ")
            lines.append("    return a")
    else:
        lines.append("def f(a, b=None):")
        for k in range(n):
            lines += unit(k, "    ")
        lines.append("    return a")
    return "\n".join(lines) + "\n"


def linearity(a):
    work = os.path.join(a.work, "linear")
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    sizes = [int(s) for s in a.sizes.split(",")]
    print(f"== Linearity: generated modules, size 1x = {a.unit} statement groups "
          f"(12 lines each: if, for, try/except, with, a comprehension, calls)")
    print("   'functions': one function per group; 'one body': every group in one "
          "function (its locals, constants and exception entries grow with it)")
    print(f"   `pyasm dis` then `pyasm build` of the one file, medians of {a.reps}; "
          "step: time over the previous size's (sizes double: linear is <= 2.00)")
    for shape in ("functions", "one body"):
        print()
        row(f"{shape}", ".pyasm", "dis", "build", "round trip", "step",
            "CPU", "step", "peak mem", width=14, cell=11)
        prev = None
        for s in sizes:
            n = s * a.unit
            base = os.path.join(work, f"{shape.replace(' ', '_')}_{s}")
            with open(base + ".py", "w") as f:
                f.write(module(shape, n))
            subprocess.run(
                [sys.executable, "-c",
                 "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)",
                 base + ".py", base + ".pyc"],
                check=True,
            )
            dis_r, build_r = [], []
            for _ in range(a.reps):
                dis_r.append(run_timed([a.pyasm, "dis", base + ".pyc", "-o", base + ".pyasm"]))
                build_r.append(run_timed([a.pyasm, "build", base + ".pyasm", "-o",
                                          base + ".re.pyc"]))
            d = median([r[0] for r in dis_r])
            b = median([r[0] for r in build_r])
            total = d + b
            total_cpu = median([r[1] for r in dis_r]) + median([r[1] for r in build_r])
            peak = max(median([r[2] for r in dis_r]), median([r[2] for r in build_r]))
            step = "" if prev is None else f"{total / prev[0]:.2f}"
            step_cpu = "" if prev is None else f"{total_cpu / prev[1]:.2f}"
            prev = (total, total_cpu)
            size = os.path.getsize(base + ".pyasm")
            row(f"  {s}x", f"{size / 1e6:.1f} MB", fmt_s(d), fmt_s(b), fmt_s(total), step,
                fmt_s(total_cpu), step_cpu, mib(peak), width=14, cell=11)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pyasm", required=True)
    p.add_argument("--corpus-bin", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--venv-python", required=True)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--bytecode-reps", type=int, default=1)
    p.add_argument("--parts", default="corpus,linearity")
    p.add_argument("--sizes", default="1,2,4,8,16")
    p.add_argument("--unit", type=int, default=500)
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    parts = a.parts.split(",")
    load = os.getloadavg()
    print(f"Measured on {os.cpu_count()} cores, {platform.machine()}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start "
          "(a busy machine makes every figure worse; compare ratios from one run)")
    if "corpus" in parts:
        corpus(a)
        print()
    if "linearity" in parts:
        linearity(a)
        print()


if __name__ == "__main__":
    main()
