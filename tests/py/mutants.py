"""Runs mutant code objects in the real interpreter, each on its own, and
says how each ended. The Python side of bench/mutants.sh and
tests/versions.rs (mutants::V).

usage:
  mutants.py compile OUT MODULE...
      Compiles the named standard-library modules with the running
      interpreter into OUT (email.message -> OUT/email/message.pyc).
  mutants.py run LIST RESULTS [--timeout SECONDS]
      Native CPython only. LIST has lines `ID<TAB>PYC<TAB>MODULE[<TAB>ORIG]`,
      ORIG the unmutated code's .pyc when the mutant promises its
      behaviour (see "Misruns" below); each
      mutant runs in a child process of its own (a fork of this one, made
      after MODULE is imported, so the child starts from the real module's
      globals without paying for the import). Appends `ID<TAB>OUTCOME<TAB>
      DETAIL` to RESULTS, one line per mutant, as each ends.
In pyodide there is no fork: tests/pyodide/mutants.mjs loads this file as a
module in a worker and calls run_one() for each mutant (see there).

Outcomes:
  ok         the body ran to its end, or some call returned
  exception  the body, or every call, raised a Python exception
  hang       still running at the time limit (killed or interrupted)
  crash      natively: killed by a signal it did not ask for (SIGSEGV,
             SIGABRT, ...); in WebAssembly: a trap or fatal error
  exit       natively: the child ended with a status and no report
  misrun     the mutant promised the unmutated behaviour (it came with an
             ORIG) and did otherwise

Misruns: with an ORIG, the original runs, then the mutant, then the
original again, the same way, each leaving a summary of every call (the
type of what it returned and, for None, bools, numbers, short strings and
bytes and containers of them, the value; each value a generator yields; or
the type of the exception; a module or class body: the names it binds).
If the two runs of the original agree and the mutant's summary differs, it
is a misrun (detail: the first call that differs). When the original's two
runs disagree, its results depend on time, state or chance, and the
mutant's outcome is reported as usual.

What a mutant runs: a module body is executed in a fresh namespace named
after its module; a class body is executed with a fresh namespace as its
locals; a function is made with types.FunctionType over a copy of the real
module's globals, with the real function's defaults and closure when the
real function can be found by its qualified name (else cells holding
None), and called with a few argument patterns: every parameter None, 0,
"spam", and, for a method whose class is found, an instance (made by calling
the class without arguments, else uninitialised) or the class first. The
compiler's hidden parameters get what its own calls pass (`.0` an
iterator). Generators, coroutines and async generators are driven for up to
100 steps.

Mutants are hostile code. (3.6 and 3.7, which have no audit hooks, run them only
inside the bubblewrap sandbox bench/mutants/drive.rs starts.) An audit hook
refuses subprocesses, signals to
other processes, sockets, ctypes, file writes outside a scratch folder
(and changes to the mode, owner or times of any file outside it,
/dev/null's too, whether named by path, by descriptor or relative to a
directory's descriptor),
tracing, and building code objects; crash helpers that test code calls on
purpose (faulthandler's _sigsegv and friends, os.abort, signal.raise_signal)
raise instead. A crash is only ever the interpreter's own.
"""

import builtins
import importlib
import os
import sys
import types

# A .pyc header: 16 bytes, 12 before 3.7 (no flags word).
HEADER = 12 if sys.version_info < (3, 7) else 16

CO_OPTIMIZED = 0x1
CO_VARARGS = 0x4
CO_VARKEYWORDS = 0x8

# Modules no mutant may import: they exist to crash the interpreter on
# purpose, or give raw memory access.
BLOCKED_MODULES = {
    "_testcapi",
    "_testinternalcapi",
    "_testbuffer",
    "_testmultiphase",
    "_testsinglephase",
    "_testclinic",
    "_testimportmultiple",
    "_testlimitedcapi",
    "_testexternalinspection",
    # 3.14's reader of other processes' memory: given a process id, it
    # reads raw addresses (in WebAssembly, out of bounds: a trap).
    "_remote_debugging",
    "_xxtestfuzz",
    "ctypes",
    "_ctypes",
    "_xxsubinterpreters",
    "_xxinterpchannels",
    "_xxinterpqueues",
    "_interpreters",
    "_interpchannels",
    "_interpqueues",
    "_posixsubprocess",
    "_tkinter",
}

# Audit events refused outright.
BLOCKED_EVENTS = {
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.forkpty",
    "os.kill",
    "os.killpg",
    "signal.pthread_kill",
    "os.startfile",
    "webbrowser.open",
    "socket.connect",
    "socket.bind",
    "socket.sendto",
    "socket.sendmsg",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "urllib.Request",
    "sys.settrace",
    "sys.setprofile",
    "sys.monitoring.register_callback",
    "gc.get_referrers",
    "gc.get_referents",
    "gc.get_objects",
    "os.symlink",
    "os.link",
    "os.chroot",
    "os.setuid",
    "os.setgid",
    "pty.spawn",
    "resource.setrlimit",
    "resource.prlimit",
    "sys._current_frames",
    "sys._current_exceptions",
}

# Events allowed only on paths inside the scratch folder.
PATH_EVENTS = {
    "os.remove",
    "os.rmdir",
    "os.rename",
    "os.truncate",
    "os.chmod",
    "os.chown",
    "os.mkdir",
    "os.utime",
    "os.chflags",
    "os.lchflags",
    "os.mkfifo",
    "os.mknod",
    "shutil.rmtree",
    "shutil.copyfile",
    "shutil.copymode",
    "shutil.copystat",
    "shutil.move",
    "shutil.unpack_archive",
    "shutil.make_archive",
    "os.removexattr",
    "os.setxattr",
}


# Of those events, (the argument that is a path, the argument that is
# the descriptor of the directory it is relative to: -1 for none).
DIR_FD_ARGS = {
    "os.chmod": ((0, 2),),
    "os.chown": ((0, 3),),
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.rename": ((0, 2), (1, 3)),
    "os.mkdir": ((0, 2),),
    "os.utime": ((0, 3),),
    "os.mkfifo": ((0, 2),),
    "os.mknod": ((0, 3),),
}


# The flags of os.open that let it write.
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _fd_path(fd):
    """What descriptor `fd` points at, or None."""
    try:
        return os.readlink("/proc/self/fd/%d" % fd)
    except (OSError, TypeError, ValueError, OverflowError):
        return None


def _relative_to(dir_fd, path):
    """Where `path` lies when taken relative to the directory `dir_fd` points
    at (an absolute path stays itself), or None."""
    base = _fd_path(dir_fd)
    try:
        return os.path.join(base, os.fsdecode(path)) if base else None
    except Exception:
        return None


class Blocked(Exception):
    pass


class _BlockImports:
    """Where there are no audit hooks: refuses to find BLOCKED_MODULES."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_MODULES:
            raise Blocked("import of " + name)
        return None


# `parent`: the fork server's own actions (fork, kill a child, set a
# child's limits) pass.
_state = {"scratch": None, "parent": False, "mutant": False}


def _inside(path, writing=False):
    """Whether `path` is in the scratch folder. For writing through `open`,
    also /dev/null, and a descriptor (opened under these rules). Not for
    changing a file's mode, owner or times: a descriptor may have been
    opened for reading anywhere, and /dev/null belongs to the machine (a
    mutant once made it root-only, which broke every process after it)."""
    scratch = _state["scratch"]
    if scratch is None:
        return False
    if isinstance(path, int):
        return writing
    try:
        p = os.fsdecode(path)
    except Exception:
        return False
    p = os.path.normpath(os.path.join(os.getcwd(), p))
    return (writing and p == os.devnull) or p == scratch or p.startswith(scratch + os.sep)


def _hook(event, args):
    if event == "import":
        name = args[0] if args else ""
        if isinstance(name, str) and name.split(".")[0] in BLOCKED_MODULES:
            raise Blocked("import of " + name)
        return
    if _state["parent"]:
        return
    if event in BLOCKED_EVENTS:
        raise Blocked(event)
    if event.startswith("ctypes."):
        raise Blocked(event)
    if event == "code.__new__":
        if _state["mutant"]:
            raise Blocked(event)
        return
    if event == "open":
        path, mode, flags = (list(args) + [None, None, None])[:3]
        writes = False
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            writes = True
        if isinstance(flags, int) and flags & WRITE_FLAGS:
            writes = True
        if writes and path is not None and not _inside(path, writing=True):
            raise Blocked("open for writing: %r" % (path,))
        return
    if event in PATH_EVENTS:
        # A descriptor in a path's place (os.chmod(fd)) names a file that
        # may have been opened anywhere, and a path relative to a
        # directory's descriptor lies under that directory: both are
        # judged by where the descriptor points.
        dir_fds = dict(DIR_FD_ARGS.get(event, ()))
        for k, a in enumerate(args[:2]):
            if isinstance(a, int) and k == 0:
                where = _fd_path(a)
                if where is None or not _inside(where):
                    raise Blocked("%s on descriptor %r" % (event, a))
            elif isinstance(a, (str, bytes, os.PathLike)):
                fd = args[dir_fds[k]] if k in dir_fds and len(args) > dir_fds[k] else None
                if fd not in (None, -1):
                    a = _relative_to(fd, a)
                if a is None or not _inside(a):
                    raise Blocked("%s on %r" % (event, a))


def _refuse(*args, **kwargs):
    raise Blocked("refused by the mutant runner")


def _disarm():
    """Replaces the functions that end or signal the process on purpose."""
    import signal

    for name in ("abort", "_exit", "kill", "killpg"):
        if hasattr(os, name):
            setattr(os, name, _refuse)
    for name in ("raise_signal", "pthread_kill", "alarm", "setitimer", "siginterrupt"):
        if hasattr(signal, name):
            setattr(signal, name, _refuse)
    fh = sys.modules.get("faulthandler")
    if fh is not None:
        for name in dir(fh):
            if name.startswith("_") and not name.startswith("__"):
                setattr(fh, name, _refuse)
    # os.open's audit event does not carry its `dir_fd`: a file opened for
    # writing relative to a directory's descriptor is judged here, by where
    # that descriptor points.
    real_open = os.open

    def guarded_open(path, flags, mode=0o777, *, dir_fd=None):
        if dir_fd is not None and flags & WRITE_FLAGS and not _state["parent"]:
            full = _relative_to(dir_fd, path)
            if full is None or not _inside(full):
                raise Blocked("open for writing relative to descriptor %r" % (dir_fd,))
        return real_open(path, flags, mode, dir_fd=dir_fd)

    os.open = guarded_open
    posix = sys.modules.get("posix")
    if posix is not None:
        posix.open = guarded_open
    limit = sys.getrecursionlimit()
    real = sys.setrecursionlimit

    def capped(n):
        real(min(n, limit))

    sys.setrecursionlimit = capped


def install(scratch):
    """The audit hook and the disarmed functions, for this process and its
    children. `scratch` is the only folder writes may go to."""
    _state["scratch"] = os.path.realpath(scratch)
    if hasattr(sys, "addaudithook"):
        sys.addaudithook(_hook)
    elif os.environ.get("PYASM_MUTANTS_SANDBOX") != "bwrap":
        # 3.7 has no audit hooks: bench/mutants/drive.rs runs it
        # inside bubblewrap, whose read-only file system, private /tmp, and
        # lack of network and other processes stand in for the hook, and
        # the modules that crash on purpose are refused at import.
        raise SystemExit("mutants.py: no audit hooks here, and not in the sandbox")
    else:
        for name in list(sys.modules):
            if name.split(".")[0] in BLOCKED_MODULES:
                del sys.modules[name]
        sys.meta_path.insert(0, _BlockImports())
    _disarm()


# ---------------------------------------------------------------------------
# What a mutant runs with


_modules = {}


def real_module(name):
    """The real module `name`, imported once (None when it cannot be, and
    for `__main__` modules, which run a program when imported)."""
    if name.split(".")[-1] == "__main__":
        return None
    # CPython's own crashers crash it when imported, by design (one took
    # the 3.11 runner down with SIGSEGV); the generator leaves them out.
    if name == "test.crashers" or name.startswith("test.crashers."):
        return None
    if name not in _modules:
        try:
            _modules[name] = importlib.import_module(name)
        except BaseException:
            _modules[name] = None
    return _modules[name]


def _globals_of(modname):
    mod = real_module(modname)
    if mod is None:
        return {"__name__": modname, "__builtins__": builtins}
    g = dict(mod.__dict__)
    for k, v in list(g.items()):
        if isinstance(v, types.ModuleType) and v.__name__.split(".")[0] in BLOCKED_MODULES:
            del g[k]
    g["__builtins__"] = builtins
    return g


def _real_object(modname, qualname):
    """The function object at `qualname` in the real module and the class
    that owns it, when both can be found."""
    obj = real_module(modname)
    owner = None
    if obj is None:
        return None, None
    for part in qualname.split("."):
        if part == "<locals>":
            return None, None
        try:
            d = vars(obj)
        except TypeError:
            return None, None
        if part not in d:
            return None, None
        owner, obj = obj, d[part]
    for attr in ("__func__", "fget"):
        obj = getattr(obj, attr, obj)
    if not isinstance(obj, types.FunctionType):
        return None, None
    return obj, owner if isinstance(owner, type) else None


def _cells(code, real):
    n = len(code.co_freevars)
    if real is not None and real.__closure__ is not None and len(real.__closure__) == n:
        return real.__closure__
    if n == 0:
        return None
    return tuple(types.CellType(None) for _ in range(n))


def summary(v, depth=0):
    """What a value is, for comparing two runs: the type, and the value
    itself for plain values (and containers of them) whose text does not
    depend on addresses."""
    t = type(v)
    if v is None or t in (bool, int, float, complex):
        return repr(v)
    if t in (str, bytes):
        return repr(v[:80]) + ("..%d" % len(v) if len(v) > 80 else "")
    if t in (tuple, list) and depth < 2:
        return "%s[%s]" % (t.__name__, ", ".join(summary(x, depth + 1) for x in v[:8]) + (", ..%d" % len(v) if len(v) > 8 else ""))
    if t in (dict, set, frozenset):
        return "%s of %d" % (t.__name__, len(v))
    return t.__name__


def _drive(r, sig=None):
    """Runs a generator, coroutine or async generator for a while; with
    `sig`, notes what the generator yields."""
    if isinstance(r, types.GeneratorType):
        try:
            for _, x in zip(range(100), r):
                if sig is not None:
                    sig.append("yield " + summary(x))
        finally:
            r.close()
    elif isinstance(r, types.CoroutineType):
        try:
            for _ in range(100):
                r.send(None)
        except StopIteration:
            pass
        finally:
            r.close()
    elif isinstance(r, types.AsyncGeneratorType):
        try:
            for _ in range(20):
                aw = r.__anext__()
                try:
                    for _ in range(20):
                        aw.send(None)
                except StopIteration:
                    pass
                finally:
                    aw.close()
        except StopAsyncIteration:
            pass


def _patterns(code, real, owner):
    """(args, kwargs) for each call."""
    npos = code.co_argcount
    nkw = code.co_kwonlyargcount
    names = code.co_varnames[: npos + nkw]
    defaults = real.__defaults__ if real is not None and real.__defaults__ else ()
    kwdefaults = real.__kwdefaults__ if real is not None and real.__kwdefaults__ else {}
    required = max(npos - len(defaults), 0)
    kwrequired = [n for n in names[npos:] if n not in kwdefaults]
    def value(name, v):
        # The compiler's hidden parameters get what its own calls pass.
        if name == ".0":
            return iter((v, v, v))
        if name == ".defaults":
            return ()
        if name == ".kwdefaults":
            return {}
        return v

    out = []
    for v in (None, 0, "spam"):
        out.append(([value(names[k], v) for k in range(required)], {n: v for n in kwrequired}))
    if owner is not None and npos >= 1:
        first = None
        if names[0] == "cls":
            first = owner
        else:
            # An instance made as its class makes it without arguments,
            # else an uninitialised one.
            for make in (lambda: owner(), lambda: owner.__new__(owner)):
                try:
                    first = make()
                    break
                except BaseException:
                    first = None
        if first is not None:
            out.append(([first] + [value(names[k], None) for k in range(1, required)], {n: None for n in kwrequired}))
    # Every parameter given, the optional ones too.
    out.append(([value(names[k], 1) for k in range(npos)], {n: 1 for n in names[npos:]}))
    return out


def run_code(code, modname, sig=None):
    """Runs one mutant code object; returns (outcome, detail). With `sig`,
    appends a summary of how each call ended (see "Misruns")."""
    first_exc = None
    returned = False

    def note(e):
        nonlocal first_exc
        if sig is not None:
            sig.append("raised " + type(e).__name__)
        if first_exc is None:
            first_exc = type(e).__name__
            if isinstance(e, Blocked):
                first_exc += " (%s)" % e

    def bound(ns):
        if sig is not None:
            sig.append("bound " + " ".join(sorted(k for k in ns if isinstance(k, str) and not k.startswith("__"))[:60]))

    qual = getattr(code, "co_qualname", code.co_name)
    _state["mutant"] = True
    try:
        if code.co_name == "<module>":
            pkg = modname if code.co_filename.endswith("__init__.py") else modname.rpartition(".")[0]
            g = {"__name__": modname, "__builtins__": builtins, "__package__": pkg, "__spec__": None}
            try:
                exec(code, g)
                returned = True
                bound(g)
            except BaseException as e:
                note(e)
        elif not code.co_flags & CO_OPTIMIZED:
            # A class body: locals in a namespace.
            g = _globals_of(modname)
            ns = {"__module__": modname, "__qualname__": qual}
            try:
                exec(code, g, ns, closure=_cells(code, None))
                returned = True
                bound(ns)
            except BaseException as e:
                note(e)
        else:
            g = _globals_of(modname)
            real, owner = _real_object(modname, qual)
            if real is not None and real.__code__.co_name != code.co_name:
                real, owner = None, None
            f = types.FunctionType(code, g, code.co_name, None, _cells(code, real))
            if real is not None:
                f.__defaults__ = real.__defaults__
                f.__kwdefaults__ = real.__kwdefaults__
            for args, kwargs in _patterns(code, real, owner):
                try:
                    r = f(*args, **kwargs)
                    if sig is not None:
                        sig.append("returned " + summary(r))
                    _drive(r, sig)
                    returned = True
                except BaseException as e:
                    note(e)
                    if isinstance(e, KeyboardInterrupt):
                        raise
    finally:
        _state["mutant"] = False
    if returned:
        return "ok", ""
    return "exception", first_exc or "?"


def run_compared(code, orig, modname):
    """The mutant `code` between two runs of the unmutated `orig`: a misrun
    when those two agree and the mutant does otherwise."""
    before, got, after = [], [], []
    try:
        run_code(orig, modname, before)
    finally:
        _restore_quietly()
    try:
        outcome, detail = run_code(code, modname, got)
    finally:
        _restore_quietly()
    run_code(orig, modname, after)
    if before == after and got != before:
        k = next((i for i, (a, b) in enumerate(zip(before, got)) if a != b), min(len(before), len(got)))
        a = before[k] if k < len(before) else "nothing"
        b = got[k] if k < len(got) else "nothing"
        return "misrun", "call %d: the original %s, the mutant %s" % (k, a, b)
    return outcome, detail


def _restore_quietly():
    try:
        _restore()
    except BaseException:
        pass


def load_pyc(data):
    import marshal

    return marshal.loads(data[HEADER:])


# ---------------------------------------------------------------------------
# pyodide: one mutant at a time in a long-lived interpreter


_saved = None


def _python_methodcaller():
    """operator.py's own methodcaller, written in Python (the module
    replaces it with _operator's when that imports)."""
    import importlib.util

    spec = importlib.util.find_spec("operator")
    mod = importlib.util.module_from_spec(spec)
    saved = sys.modules.get("_operator")
    sys.modules["_operator"] = None  # makes `from _operator import *` fail
    try:
        spec.loader.exec_module(mod)
    finally:
        if saved is None:
            del sys.modules["_operator"]
        else:
            sys.modules["_operator"] = saved
    return mod.methodcaller


def pyodide_setup(scratch):
    """Called once per worker: the sandbox, and a snapshot of the state
    mutants could change for the ones after them."""
    global _saved
    # In pyodide's 3.13 and 3.14 builds, the cyclic garbage collector
    # traps ("null function or function signature mismatch") when it
    # clears an operator.methodcaller found in unreachable garbage: five
    # lines of plain Python do it, and so does running glob's module body,
    # whose class holds methodcallers, in a namespace that is then dropped.
    # No bytecode is involved, so the workers of those versions use the
    # Python version of the class, installed before any module the
    # mutants use is imported (same behaviour; _operator's own is still
    # there under its own module's name).
    if sys.version_info >= (3, 13):
        import operator

        operator.methodcaller = _python_methodcaller()
    os.makedirs(scratch, exist_ok=True)
    os.chdir(scratch)
    os.environ["TMPDIR"] = scratch
    os.environ["HOME"] = scratch
    install(scratch)
    _saved = (
        dict(builtins.__dict__),
        list(sys.path),
        list(sys.meta_path),
        list(sys.path_hooks),
        dict(os.environ),
        sys.stdin,
        sys.stdout,
        sys.stderr,
        sys.getrecursionlimit(),
        sys.setrecursionlimit,
    )


def _restore():
    (b, path, meta, hooks, env, sin, sout, serr, limit, setlimit) = _saved
    builtins.__dict__.clear()
    builtins.__dict__.update(b)
    sys.path[:] = path
    sys.meta_path[:] = meta
    sys.path_hooks[:] = hooks
    os.environ.clear()
    os.environ.update(env)
    sys.stdin, sys.stdout, sys.stderr = sin, sout, serr
    sys.setrecursionlimit = setlimit
    try:
        sys.setrecursionlimit(limit)
    except Exception:
        pass
    try:
        os.chdir(_state["scratch"])
    except Exception:
        pass


# The descriptors open when the worker was set up, and what fds 0-2 were.
_fds = {"base": None, "std": None}
_STD = ((0, "/dev/stdin", os.O_RDONLY), (1, "/dev/stdout", os.O_WRONLY), (2, "/dev/stderr", os.O_WRONLY))


def _ident(fd):
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_rdev)


def tidy_fds(open_fds):
    """Called after setup, then after each mutant, with the descriptors
    open in the worker (pyodide lists them cheaply; scanning with fstat
    would cost more than a mutant). The first call records them; later
    calls put fds 0-2 back on the worker's standard streams and close
    every descriptor a mutant left open. Natively each mutant is a process
    of its own, so none of this outlives it. In one WebAssembly worker it
    did: a function called with 0 or 1 for a file name closes the standard
    streams, a later os.pipe() takes their numbers, and pyodide 0.27's
    pipes do not count duplicated descriptors, so once a pipe's two ends
    are closed a write through a copy throws a JavaScript TypeError that
    ends the worker (plain Python does it: pipe, dup, close both, write).
    No bytecode is involved."""
    if _fds["base"] is None:
        _fds["base"] = set(open_fds)
        _fds["std"] = {fd: _ident(fd) for fd, _, _ in _STD}
        return
    # The runner's own actions pass the audit hook.
    _state["parent"] = True
    try:
        for fd, path, flags in _STD:
            if _ident(fd) != _fds["std"][fd]:
                try:
                    new = os.open(path, flags)
                    if new != fd:
                        os.dup2(new, fd)
                        os.close(new)
                except OSError:
                    pass
        for fd in open_fds:
            if fd not in _fds["base"] and fd > 2:
                try:
                    os.close(fd)
                except OSError:
                    pass
    finally:
        _state["parent"] = False


def run_one(data, modname, orig=None):
    """One mutant in the running interpreter: `OUTCOME<TAB>DETAIL`. A
    KeyboardInterrupt is the worker's time limit. With `orig` (the
    unmutated code's .pyc bytes), compared with it (see "Misruns")."""
    data = bytes(data)
    # Import first, outside the mutant's time: the module is the same for
    # every mutant of it.
    real_module(modname)
    try:
        code = load_pyc(data)
        if orig is not None:
            outcome, detail = run_compared(code, load_pyc(bytes(orig)), modname)
        else:
            outcome, detail = run_code(code, modname)
    except KeyboardInterrupt:
        outcome, detail = "hang", "interrupted"
    except BaseException as e:
        outcome, detail = "exception", type(e).__name__
    finally:
        try:
            _restore()
        except BaseException:
            pass
    return outcome + "\t" + detail


# ---------------------------------------------------------------------------
# native: a fork server

def stderr_tail(path):
    """The last lines a child wrote to its stderr, on one line."""
    try:
        with open(path, errors="replace") as f:
            tail = f.read()[-300:]
    except OSError:
        return ""
    return " | ".join(tail.strip().split("\n")[-4:]).replace("\t", " ")


# A child's exit status for each way a mutant ended.
EXIT_CODES = {"ok": 10, "exception": 11, "misrun": 12}
EXIT_OUTCOMES = {v: k for k, v in EXIT_CODES.items()}


def serve(list_path, results_path, timeout):
    import resource
    import select
    import signal
    import tempfile
    import time

    scratch = tempfile.mkdtemp(prefix="pyasm-mutants-")
    os.chdir(scratch)
    os.environ["TMPDIR"] = scratch
    os.environ["HOME"] = scratch
    sys.dont_write_bytecode = True
    # Modules that read the command line when imported see none.
    sys.argv = [""]
    real_exit = os._exit
    real_kill = os.kill
    real_setitimer = signal.setitimer
    devnull = os.open(os.devnull, os.O_RDWR)
    out = open(results_path, "a")
    install(scratch)

    def import_timeout(*args):
        raise TimeoutError()

    entries = []
    with open(list_path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                entries.append((parts + [""])[:4])
    # Mutants of one module together, so the parent imports each once.
    entries.sort(key=lambda e: (e[2], int(e[0])))
    err_path = os.path.join(scratch, ".stderr")
    crash_signals = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGTRAP, signal.SIGSYS}
    for n, (mid, pyc, modname, orig_pyc) in enumerate(entries):
        with open(pyc, "rb") as f:
            data = f.read()
        orig_data = None
        if orig_pyc:
            with open(orig_pyc, "rb") as f:
                orig_data = f.read()
        # Imports are bounded too: a module that hangs on import is skipped.
        signal.signal(signal.SIGALRM, import_timeout)
        real_setitimer(signal.ITIMER_REAL, 20)
        try:
            real_module(modname)
        except TimeoutError:
            _modules[modname] = None
        finally:
            real_setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
        r, w = os.pipe()
        _state["parent"] = True
        try:
            pid = os.fork()
        finally:
            _state["parent"] = False
        if pid == 0:
            status_code = 0
            _state["parent"] = True
            try:
                os.close(r)
                os.dup2(devnull, 0)
                os.dup2(devnull, 1)
                efd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(efd, 2)
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
                resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))
                try:
                    with open("/proc/self/statm") as s:
                        vm = int(s.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
                    resource.setrlimit(resource.RLIMIT_AS, (vm + (1 << 30), vm + (1 << 30)))
                except (OSError, ValueError):
                    pass
                _state["parent"] = False
                code = load_pyc(data)
                try:
                    if orig_data is not None:
                        outcome, detail = run_compared(code, load_pyc(orig_data), modname)
                    else:
                        outcome, detail = run_code(code, modname)
                except BaseException as e:
                    outcome, detail = "exception", type(e).__name__
                # The status says how it ended even if the mutant closed
                # the pipe; the pipe adds the detail.
                status_code = EXIT_CODES.get(outcome, 0)
                os.write(w, ("%s\t%s" % (outcome, detail)).encode())
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                real_exit(status_code)
        os.close(w)
        got = b""
        deadline = timeout
        timed_out = False
        start = time.monotonic()
        while True:
            left = start + deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([r], [], [], left)
            if not ready:
                continue
            chunk = os.read(r, 4096)
            if not chunk:
                break
            got += chunk
        os.close(r)
        if timed_out:
            _state["parent"] = True
            try:
                real_kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            finally:
                _state["parent"] = False
        _, status = os.waitpid(pid, 0)
        if timed_out:
            outcome, detail = "hang", "%gs" % timeout
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            if sig in crash_signals:
                outcome, detail = "crash", name + " " + stderr_tail(err_path)
            else:
                outcome, detail = "exit", name
        elif got:
            outcome, _, detail = got.decode(errors="replace").partition("\t")
        elif os.WEXITSTATUS(status) in EXIT_OUTCOMES:
            outcome, detail = EXIT_OUTCOMES[os.WEXITSTATUS(status)], "(no detail)"
        else:
            outcome = "exit"
            detail = "status %d %s" % (os.WEXITSTATUS(status), stderr_tail(err_path))
        out.write("%s\t%s\t%s\n" % (mid, outcome, detail.replace("\n", " ")))
        out.flush()
        # Files the mutants left behind.
        if n % 500 == 499:
            for name in os.listdir(scratch):
                p = os.path.join(scratch, name)
                try:
                    if os.path.isdir(p) and not os.path.islink(p):
                        import shutil

                        shutil.rmtree(p, ignore_errors=True)
                    elif name != ".stderr":
                        os.remove(p)
                except OSError:
                    pass
    out.close()
    import shutil

    shutil.rmtree(scratch, ignore_errors=True)


def compile_modules(out, names):
    import importlib._bootstrap_external as ext
    import importlib.util

    done = refused = absent = 0
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            # A module (or package) this version does not have yet.
            absent += 1
            continue
        try:
            source = spec.loader.get_source(name)
            code = compile(source, spec.origin or name, "exec", dont_inherit=True)
        except Exception:
            refused += 1
            continue
        rel = name.replace(".", "/")
        if spec.submodule_search_locations is not None:
            rel += "/__init__"
        target = os.path.join(out, rel + ".pyc")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            # 3.6 has no PEP 552 headers, nor the function that writes one.
            to_pyc = getattr(ext, "_code_to_timestamp_pyc", None) or ext._code_to_bytecode
            f.write(to_pyc(code, 0, 0))
        done += 1
    print("compiled %d, refused %d, absent %d" % (done, refused, absent))


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "compile" and len(sys.argv) >= 3:
        compile_modules(sys.argv[2], sys.argv[3:])
    elif cmd == "run" and len(sys.argv) >= 4:
        timeout = 2.0
        if "--timeout" in sys.argv:
            timeout = float(sys.argv[sys.argv.index("--timeout") + 1])
        serve(sys.argv[2], sys.argv[3], timeout)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
