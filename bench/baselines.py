"""The round trips pyasm is compared with, timed on the same .pyc files
(run by bench/corpus.py; prints one JSON object).

usage: baselines.py {bytecode|marshal|dis.dis} PYC_DIR [--jobs N] [--reps R]

bytecode: ConcreteBytecode.from_code(co).to_code() of the `bytecode`
    library, applied to every code object: the constants of each code object
    are round-tripped first, depth first, and the rebuilt children put in
    place, so the result is the whole module rebuilt. The library has no text
    form; this is its whole round trip.
marshal: marshal.loads of each file's body, then marshal.dumps of the
    loaded object: the floor of any binary round trip.
dis.dis: CPython's own listing, `dis.dis` of each module's code object (nested
    code objects included, as `dis.dis` recurses), written to a sink that
    keeps nothing: what `pyasm dis` is set beside. The files are unmarshalled
    before the clock starts.

Wall and CPU seconds (summed over the processes) are reported for each run.
Only the round trips are timed: the files are read (and, for bytecode,
unmarshalled) before the clock starts. With --jobs N > 1 the files are
shared out by size among N processes, each of which reads its share, waits
at a barrier, and times its own work; the wall time is from the earliest
start to the latest end (time.perf_counter is system-wide on Linux).
"""
import json
import marshal
import multiprocessing as mp
import os
import resource
import sys
import time
import types


def find(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".pyc"):
                out.append(os.path.join(dirpath, name))
    return out


def read_bodies(paths):
    bodies = []
    for p in paths:
        with open(p, "rb") as f:
            bodies.append(f.read()[16:])
    return bodies


def bytecode_round_trip(co, ConcreteBytecode):
    cb = ConcreteBytecode.from_code(co)
    cb.consts = [
        bytecode_round_trip(c, ConcreteBytecode) if isinstance(c, types.CodeType) else c
        for c in cb.consts
    ]
    return cb.to_code()


def count_codes(co):
    return 1 + sum(count_codes(c) for c in co.co_consts if isinstance(c, types.CodeType))


def work(mode, paths, reps, barrier=None, results=None):
    """Times `reps` round trips of `paths`; returns (starts, ends, extra)."""
    bodies = read_bodies(paths)
    extra = {}
    if mode == "bytecode":
        from bytecode import ConcreteBytecode

        codes = [marshal.loads(b) for b in bodies]
        extra["code_objects"] = sum(count_codes(c) for c in codes)
        failed = 0

        def once():
            nonlocal failed
            failed = 0
            for co in codes:
                try:
                    bytecode_round_trip(co, ConcreteBytecode)
                except Exception:
                    failed += 1

    elif mode == "dis.dis":
        import dis

        codes = [marshal.loads(b) for b in bodies]

        class Sink:
            def write(self, s):
                return len(s)

        sink = Sink()

        def once():
            for co in codes:
                dis.dis(co, file=sink)

    else:

        def once():
            for b in bodies:
                marshal.dumps(marshal.loads(b))

    starts, ends, cpu = [], [], []
    for _ in range(reps):
        if barrier is not None:
            barrier.wait()
        t0 = time.perf_counter()
        c0 = time.process_time()
        once()
        cpu.append(time.process_time() - c0)
        t1 = time.perf_counter()
        starts.append(t0)
        ends.append(t1)
    extra["cpu_seconds"] = cpu
    if mode == "bytecode":
        extra["failed_modules"] = failed
    extra["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if results is not None:
        results.put((starts, ends, extra))
    return starts, ends, extra


def share(paths, jobs):
    """Largest first, each to the lightest share so far."""
    sized = sorted(paths, key=lambda p: -os.path.getsize(p))
    shares = [[] for _ in range(jobs)]
    weight = [0] * jobs
    for p in sized:
        k = weight.index(min(weight))
        shares[k].append(p)
        weight[k] += os.path.getsize(p)
    return shares


def main():
    mode, root = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    jobs = int(args[args.index("--jobs") + 1]) if "--jobs" in args else 1
    reps = int(args[args.index("--reps") + 1]) if "--reps" in args else 1
    paths = find(root)
    if jobs <= 1:
        starts, ends, extra = work(mode, paths, reps)
        seconds = [e - s for s, e in zip(starts, ends)]
        maxrss = extra.pop("maxrss_kib")
        cpu = extra.pop("cpu_seconds")
    else:
        ctx = mp.get_context("fork")
        barrier = ctx.Barrier(jobs)
        results = ctx.Queue()
        procs = [
            ctx.Process(target=work, args=(mode, part, reps, barrier, results))
            for part in share(paths, jobs)
        ]
        for p in procs:
            p.start()
        got = [results.get() for _ in procs]
        for p in procs:
            p.join()
        seconds = [
            max(g[1][r] for g in got) - min(g[0][r] for g in got) for r in range(reps)
        ]
        cpu = [sum(g[2]["cpu_seconds"][r] for g in got) for r in range(reps)]
        extra = {}
        for g in got:
            for k, v in g[2].items():
                if k not in ("maxrss_kib", "cpu_seconds"):
                    extra[k] = extra.get(k, 0) + v
        # The processes run side by side: their peaks add up.
        maxrss = sum(g[2]["maxrss_kib"] for g in got)
    out = {
        "mode": mode,
        "files": len(paths),
        "jobs": jobs,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "maxrss_kib": maxrss,
        **extra,
    }
    if mode == "bytecode":
        import bytecode

        out["version"] = bytecode.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
