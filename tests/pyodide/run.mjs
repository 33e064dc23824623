// Runs a Python script in a real CPython compiled to WebAssembly (pyodide),
// with the host's file system mounted at /host, so the script can compile,
// marshal, load and compare real files.
//
// usage: node run.mjs VERSION SCRIPT [ARGS...]
//   VERSION  3.12 | 3.13 | 3.14 | 3.15
//   SCRIPT   a host path to a Python file; ARGS become sys.argv[1:].
// Host paths in SCRIPT and ARGS are given as they are on the host; the
// script sees them under /host (the runner rewrites absolute paths).
// The script's stdout and stderr are passed through; a SystemExit code
// becomes the process exit code, an uncaught exception exits 1.
import path from "node:path";
import { fileURLToPath } from "node:url";

const packages = { "3.12": "py312", "3.13": "py313", "3.14": "py314", "3.15": "py315" };
const [version, script, ...args] = process.argv.slice(2);
if (!packages[version] || !script) {
  console.error("usage: node run.mjs 3.12|3.13|3.14|3.15 SCRIPT [ARGS...]");
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.join(here, "..", "node_modules", packages[version]);
const { loadPyodide } = await import(path.join(pkg, "pyodide.mjs"));
const py = await loadPyodide({
  indexURL: pkg + path.sep,
  stdout: (s) => process.stdout.write(s + "\n"),
  stderr: (s) => process.stderr.write(s + "\n"),
});
py.FS.mkdir("/host");
py.FS.mount(py.FS.filesystems.NODEFS, { root: "/" }, "/host");
const toHost = (p) => (path.isAbsolute(p) ? "/host" + path.resolve(p) : p);
const argv = [toHost(path.resolve(script)), ...args.map((a) => (a.startsWith("/") ? toHost(a) : a))];
py.globals.set("_argv", py.toPy(argv));
let code = 0;
try {
  py.runPython(`
import sys, runpy
sys.argv = list(_argv)
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
    _exit = 0
except SystemExit as e:
    _exit = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    if not isinstance(e.code, int) and e.code is not None:
        print(e.code, file=sys.stderr)
sys.stdout.flush(); sys.stderr.flush()
`);
  code = py.globals.get("_exit");
} catch (e) {
  process.stderr.write(String(e.message || e) + "\n");
  code = 1;
}
// Exit only once everything written has been flushed: a pipe takes 64 KiB
// at a time, and process.exit() would drop the rest.
process.exitCode = code;
const done = () => process.exit(code);
if (process.stdout.writableNeedDrain) {
  process.stdout.once("drain", () => process.stderr.write("", done));
} else {
  process.stdout.write("", () => process.stderr.write("", done));
}
