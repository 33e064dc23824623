// Runs mutant code objects in a real CPython compiled to WebAssembly
// (pyodide), one after another, and says how each ended (the WebAssembly
// counterpart of `tests/py/mutants.py run`, which forks per mutant).
//
// usage: node mutants.mjs VERSION LIST RESULTS [--timeout SECONDS] [--restart-every N]
//                          [--in-order]
//   LIST     lines `ID<TAB>PYC<TAB>MODULE` (host paths)
//   RESULTS  appended with `ID<TAB>OUTCOME<TAB>DETAIL` as each mutant ends
//            (for `unconfirmed`, a fourth field: the ids run before it)
//
// Starting pyodide takes seconds, so one interpreter runs many mutants.
// The isolation, and its limits:
// - The interpreter lives in a worker thread: its own V8 isolate and its
//   own WebAssembly memory. This main thread only hands it one mutant at a
//   time (the .pyc bytes; the host file system is not mounted, so a mutant
//   can touch nothing outside the worker) and watches the clock.
// - Each mutant runs in fresh namespaces (tests/py/mutants.py run_one), and
//   the process-wide state mutants could change for later ones (builtins,
//   sys.path, streams, environment, working directory) is restored after
//   each, and so are the file descriptors: 0-2 put back on the worker's
//   standard streams, any other a mutant left open closed (tidy_fds).
//   In 3.13 and 3.14, operator.methodcaller is operator.py's Python class:
//   those builds trap when the garbage collector clears the C one.
//   Changes to shared module objects are not undone; the worker is
//   replaced every --restart-every mutants (default 500) to bound them.
// - Time limit: at --timeout the worker's interrupt buffer raises
//   KeyboardInterrupt in the mutant (counted as a hang); if the worker is
//   still busy two seconds later it is terminated and replaced.
// - A trap or fatal error (a WebAssembly RuntimeError, pyodide's "fatal
//   error") ends that worker. The mutant that was running is then run again
//   alone in a brand-new worker: if it traps again it is a crash; if not,
//   the trap may have come from damage an earlier mutant left behind, and
//   it is reported as `unconfirmed` with the ids of all the mutants that
//   ran in that worker before it (bench/mutants keeps them, and `mutants
//   replay` runs them again in order, with --in-order and a large
//   --restart-every, to find which of them matter). Memory
//   damage that never traps is not seen here, as natively it would not be
//   either.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const packages = { "3.12": "py312", "3.13": "py313", "3.14": "py314", "3.15": "py315" };

// Host callbacks (timers) a mutant schedules through pyodide's `js` module,
// to cancel when it ends: natively nothing a mutant starts outlives its
// process, and a callback that ran later, between mutants, would run
// Python code outside any time limit and sandbox (pyodide's own
// set_timeout, run with a callback that raises, ended the worker with an
// uncaught Python exception). Installed before pyodide loads, so that
// every `from js import setTimeout` gets these.
function trackTimers() {
  const pending = [];
  for (const [make, clear] of [
    ["setTimeout", "clearTimeout"],
    ["setInterval", "clearInterval"],
    ["setImmediate", "clearImmediate"],
  ]) {
    const real = globalThis[make];
    const realClear = globalThis[clear];
    globalThis[make] = (...args) => {
      const h = real(...args);
      pending.push(() => realClear(h));
      return h;
    };
  }
  return {
    forget: () => (pending.length = 0),
    cancel: () => pending.splice(0).forEach((c) => c()),
  };
}

async function worker() {
  const { version, interrupt } = workerData;
  const timers = trackTimers();
  const pkg = path.join(here, "..", "node_modules", packages[version]);
  const { loadPyodide } = await import(path.join(pkg, "pyodide.mjs"));
  const py = await loadPyodide({
    indexURL: pkg + path.sep,
    stdout: () => {},
    stderr: () => {},
  });
  py.setInterruptBuffer(new Int32Array(interrupt));
  // Reading stdin fails at once (the worker has none).
  py.setStdin({ error: true });
  const src = fs.readFileSync(path.join(here, "..", "py", "mutants.py"), "utf8");
  const mod = py.runPython(
    `import types, sys\nm = types.ModuleType("mutants")\nsys.modules["mutants"] = m\nm`,
  );
  py.globals.set("_src", src);
  py.runPython(`exec(compile(_src, "mutants.py", "exec"), sys.modules["mutants"].__dict__)`);
  py.runPython(`sys.modules["mutants"].pyodide_setup("/scratch")`);
  const runOne = mod.run_one;
  // The descriptors open now, for tidy_fds to keep and to compare with.
  const openFds = () => py.FS.streams.flatMap((s, fd) => (s ? [fd] : []));
  const tidy = () => {
    const fds = py.toPy(openFds());
    try {
      mod.tidy_fds(fds);
    } finally {
      fds.destroy();
    }
  };
  tidy();
  parentPort.on("message", ({ id, data, module, orig }) => {
    timers.forget();
    try {
      const r = String(orig ? runOne(data, module, orig) : runOne(data, module));
      timers.cancel();
      tidy();
      parentPort.postMessage({ id, result: r });
    } catch (e) {
      timers.cancel();
      const kind = e && e.constructor && e.constructor.name;
      if (kind === "PythonError") {
        parentPort.postMessage({ id, result: "exception\t" + String(e.type || "PythonError") });
      } else {
        parentPort.postMessage({ id, fatal: String((e && e.message) || e).split("\n")[0] });
      }
    }
  });
  parentPort.postMessage({ ready: true });
}

function parseArgs() {
  const [version, list, results, ...rest] = process.argv.slice(2);
  if (!packages[version] || !list || !results) {
    console.error("usage: node mutants.mjs 3.12|3.13|3.14|3.15 LIST RESULTS [--timeout S] [--restart-every N] [--in-order]");
    process.exit(2);
  }
  const opt = (name, dflt) => {
    const i = rest.indexOf(name);
    return i >= 0 ? Number(rest[i + 1]) : dflt;
  };
  return {
    version,
    list,
    results,
    timeout: opt("--timeout", 2) * 1000,
    restartEvery: opt("--restart-every", 500),
    inOrder: rest.includes("--in-order"),
  };
}

// One worker and the mutant it is running.
class Runner {
  constructor(version) {
    this.version = version;
    this.interrupt = new SharedArrayBuffer(4);
    this.flag = new Int32Array(this.interrupt);
    this.w = null;
    this.ran = [];
  }
  async start() {
    this.ran = [];
    this.w = new Worker(fileURLToPath(import.meta.url), {
      workerData: { version: this.version, interrupt: this.interrupt },
    });
    this.w.unref();
    await new Promise((resolve, reject) => {
      const onMsg = (m) => {
        if (m.ready) {
          this.w.off("message", onMsg);
          resolve();
        }
      };
      this.w.on("message", onMsg);
      this.w.once("error", reject);
    });
  }
  async stop() {
    if (this.w) {
      const w = this.w;
      this.w = null;
      await w.terminate();
    }
  }
  // Runs one mutant: {result} or {fatal} or {hang}.
  run(id, data, module, timeout, orig) {
    Atomics.store(this.flag, 0, 0);
    this.ran.push(id);
    return new Promise((resolve) => {
      let done = false;
      const finish = (r) => {
        if (done) return;
        done = true;
        clearTimeout(soft);
        clearTimeout(hard);
        this.w.off("message", onMsg);
        this.w.off("error", onErr);
        this.w.off("exit", onExit);
        resolve(r);
      };
      const onMsg = (m) => {
        if (m.id === id) finish(m);
      };
      const onErr = (e) => finish({ fatal: String((e && e.message) || e).split("\n")[0] });
      const onExit = (code) => finish({ fatal: "worker exited with " + code });
      this.w.on("message", onMsg);
      this.w.once("error", onErr);
      this.w.once("exit", onExit);
      // SIGINT: pyodide raises KeyboardInterrupt at its next check.
      const soft = setTimeout(() => Atomics.store(this.flag, 0, 2), timeout);
      const hard = setTimeout(() => finish({ hang: true }), timeout + 2000);
      this.w.postMessage({ id, data, module, orig });
    });
  }
}

async function main() {
  const opts = parseArgs();
  const entries = fs
    .readFileSync(opts.list, "utf8")
    .split("\n")
    .filter((l) => l)
    .map((l) => l.split("\t"));
  // Mutants of one module together: each worker imports each module once.
  // --in-order keeps the list's order (to replay what ran before a trap).
  if (!opts.inOrder) {
    entries.sort((a, b) => (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : Number(a[0]) - Number(b[0])));
  }
  const out = fs.openSync(opts.results, "a");
  const clean = (s) => String(s).replace(/[\t\n]/g, " ");
  const write = (id, outcome, detail, ...more) =>
    fs.writeSync(out, [id, outcome, clean(detail), ...more.map(clean)].join("\t") + "\n");
  let r = new Runner(opts.version);
  await r.start();
  let sinceStart = 0;
  for (const [id, pyc, module, origPyc] of entries) {
    if (sinceStart >= opts.restartEvery) {
      await r.stop();
      r = new Runner(opts.version);
      await r.start();
      sinceStart = 0;
    }
    const data = fs.readFileSync(pyc);
    // The unmutated code, for a mutant that promises its behaviour.
    const orig = origPyc ? fs.readFileSync(origPyc) : undefined;
    const res = await r.run(id, data, module, opts.timeout, orig);
    sinceStart++;
    if (res.result !== undefined) {
      const [outcome, detail] = res.result.split("\t");
      write(id, outcome, detail || "");
      continue;
    }
    const before = r.ran.slice(0, -1);
    await r.stop();
    if (res.hang) {
      write(id, "hang", "terminated");
    } else {
      // Again, alone, in a new worker.
      const again = new Runner(opts.version);
      await again.start();
      const res2 = await again.run(id, data, module, opts.timeout, orig);
      await again.stop();
      if (res2.fatal !== undefined) {
        write(id, "crash", res.fatal);
      } else {
        // Every mutant run before it in that worker, in order, to replay.
        const alone = res2.result || "hang";
        write(id, "unconfirmed", `${res.fatal}; alone: ${alone}; after ${before.length} others`, before.join(","));
      }
    }
    r = new Runner(opts.version);
    await r.start();
    sinceStart = 0;
  }
  await r.stop();
  fs.closeSync(out);
}

// Last: the class above must be initialized first.
if (isMainThread) {
  await main();
} else {
  await worker();
}
