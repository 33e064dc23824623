//! A benchmark of the language server on a large file (not a test: it
//! prints figures and goals, and asserts nothing). `bench/run.sh` drives it.
//!
//! Two commands:
//!
//! - `make OUT IN...`: joins the `pyasm dis` outputs `IN...` into one
//!   module `OUT`. The first file's module block stays the root; the blocks
//!   of the others get a prefix `mK_` (and so do their `@refs`), and each
//!   other module block becomes a constant of the root (`.consts @mK_module`)
//!   so nothing is left unreferenced.
//! - `run FILE [--server PATH] [--edits N] [--requests N] [--full-runs N] [--seed N]`:
//!   spawns `PATH lsp` (default `target/release/pyasm`), speaks JSON-RPC
//!   with Content-Length framing over its stdio, opens `FILE`, applies `N`
//!   single-character edits (alternately typing a character at a random
//!   place of a random instruction line and deleting it again) and times
//!   each one from sending `didChange` to receiving the `publishDiagnostics`
//!   of that version. Then it times a full parse and analysis of the final
//!   text in this process, and prints the figures against the goals.
//!   Then, after each of the first `--requests N` edits (200) again, it
//!   times the requests an editor sends as the user types (outline,
//!   semantic tokens: what changed since the last answer, and those of a
//!   screen around the edit; folding, inlay hints for that screen, hover
//!   on its opcode, completion where it was typed), each from sending it
//!   to its answer. All the semantic tokens, which an editor asks for once
//!   when it opens the file, are timed once before.
//!   With `--phases`, the server runs with `PYASM_LSP_TIMING` set and the
//!   time of each phase of its work (see `pyasm::ide::timing`) is printed
//!   too; that run's own figures include the measuring.
//! - `f9 DIR [--server PATH] [--edits N] [--only NAME]`: the inputs of
//!   issue 19's F9, written to `DIR`: 2 million empty lines before the
//!   first `.code`, an 8 MB one-line tuple constant, 100,000 instructions
//!   with no `.code`, a block of 100,000 instructions, and a function of
//!   100,000 instructions that store and read locals (`--only` keeps
//!   those whose file name contains `NAME`, for profiling one), then the
//!   big block again at 12,500, 25,000, 50,000 and 200,000 instructions
//!   (what an edit still costs per instruction of its block). Each is
//!   opened, then typed into `N` times at one place (a character inserted,
//!   then deleted): the median time per edit and the size of the largest
//!   `publishDiagnostics` are printed.
//!
//! The server publishes diagnostics only when they change, so an edit is
//! timed to its `publishDiagnostics` when one comes, and otherwise to the
//! answer of a request sent right behind the `didChange` (the server
//! handles the change before it).

use pyasm::asm::Options;
use pyasm::ide::FileAnalysis;
use pyasm::versions::Version;
use serde_json::{json, Value};
// The executable's allocator and memory tuning, so that what is measured
// is what `pyasm` does.
#[allow(dead_code)]
#[path = "../src/process.rs"]
mod process;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

fn main() {
    process::start();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("make") if args.len() >= 3 => make(&args[1], &args[2..]),
        Some("run") if args.len() >= 2 => run(&args[1..]),
        Some("parts") if args.len() == 2 => parts(&args[1]),
        Some("f9") if args.len() >= 2 => f9(&args[1..]),
        // `cargo test --all-targets` starts every bench with no arguments,
        // or with the test harness's flags (`--nocapture`); `test = false`
        // does not keep it out. There is nothing to run without a file, and
        // bench/run.sh gives one.
        _ if args.iter().all(|a| a.starts_with("--")) => {
            eprintln!("lsp_latency: nothing to measure without a file; run bench/run.sh")
        }
        _ => {
            eprintln!(
                "usage: lsp_latency make OUT IN.pyasm...\n       \
                 lsp_latency run FILE [--server PATH] [--edits N] [--full-runs N] [--seed N]\n       \
                 lsp_latency f9 DIR [--server PATH] [--edits N] [--only NAME]"
            );
            std::process::exit(2);
        }
    }
}

// ---------------------------------------------------------------------------
// make: one module from several

/// `line` with every `@NAME` outside string literals whose `NAME` is in
/// `names` written `@{prefix}NAME`.
fn rename_refs(line: &str, names: &HashSet<String>, prefix: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len() + 8);
    let mut i = 0;
    let mut quote: Option<u8> = None;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' && i + 1 < b.len() {
                    // Copy the escape and the byte it escapes (ASCII in both
                    // places, so the slice stays on char boundaries).
                    out.push_str(&line[i..i + 2]);
                    i += 2;
                    continue;
                }
                if c == q {
                    quote = None;
                }
            }
            None => {
                if c == b'\'' || c == b'"' {
                    quote = Some(c);
                } else if c == b'#' {
                    out.push_str(&line[i..]);
                    return out;
                } else if c == b'@' {
                    let mut j = i + 1;
                    while j < b.len() && ident(b[j]) {
                        j += 1;
                    }
                    let name = &line[i + 1..j];
                    if names.contains(name) {
                        out.push('@');
                        out.push_str(prefix);
                        out.push_str(name);
                        i = j;
                        continue;
                    }
                }
            }
        }
        let ch = line[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn make(out: &str, inputs: &[String]) {
    let mut root: Vec<String> = Vec::new();
    let mut rest: Vec<String> = Vec::new();
    let mut all_names: HashSet<String> = HashSet::new();
    let mut root_version: Option<String> = None;
    let mut extra_roots: Vec<String> = Vec::new();
    for (k, path) in inputs.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let lines: Vec<&str> = text.lines().collect();
        let version = lines
            .iter()
            .find(|l| l.starts_with(".python"))
            .map(|l| l.to_string());
        if k == 0 {
            root_version = version;
        } else if version != root_version {
            panic!("{path}: `{version:?}` differs from the first file's `{root_version:?}`");
        }
        let names: HashSet<String> = lines
            .iter()
            .filter_map(|l| l.strip_prefix(".code "))
            .map(|n| n.trim().to_string())
            .collect();
        let prefix = if k == 0 {
            String::new()
        } else {
            format!("m{k}_")
        };
        for n in &names {
            let full = format!("{prefix}{n}");
            if !all_names.insert(full.clone()) {
                panic!("{path}: block name `{full}` is not unique");
            }
        }
        if k == 0 {
            root.extend(lines.iter().map(|l| l.to_string()));
            continue;
        }
        let first = lines
            .iter()
            .position(|l| l.starts_with(".code "))
            .unwrap_or_else(|| panic!("{path}: no .code block"));
        let mut in_module_block = false;
        let mut module_has = (false, false); // (.name, .flags)
        let mut module_at = 0;
        for (i, l) in lines[first..].iter().enumerate() {
            if let Some(n) = l.strip_prefix(".code ") {
                if i == 0 {
                    extra_roots.push(format!("{prefix}{}", n.trim()));
                    in_module_block = true;
                    module_at = rest.len();
                } else {
                    in_module_block = false;
                }
                rest.push(format!(".code {prefix}{}", n.trim()));
                continue;
            }
            if in_module_block {
                let t = l.trim_start();
                module_has.0 |= t.starts_with(".name ");
                module_has.1 |= t.starts_with(".flags ");
            }
            rest.push(rename_refs(l, &names, &prefix));
        }
        // The module block is now a nested block, whose defaults differ
        // from a module's: keep its co_name and flags those of a module.
        let mut fields = Vec::new();
        if !module_has.0 {
            fields.push("    .name '<module>'".to_string());
        }
        if !module_has.1 {
            fields.push("    .flags 0".to_string());
        }
        rest.splice(module_at + 1..module_at + 1, fields);
        if rest.last().is_some_and(|l| !l.is_empty()) {
            rest.push(String::new());
        }
    }
    // The other modules hang from the root module block as constants.
    let at = root
        .iter()
        .position(|l| l.starts_with(".code "))
        .expect("the first file has a .code block");
    let refs: Vec<String> = extra_roots
        .iter()
        .map(|n| format!("    .consts @{n}"))
        .collect();
    root.splice(at + 1..at + 1, refs);
    if root.last().is_some_and(|l| !l.is_empty()) {
        root.push(String::new());
    }
    root.extend(rest);
    let mut text = root.join("\n");
    text.push('\n');
    std::fs::write(out, &text).unwrap_or_else(|e| panic!("{out}: {e}"));
    println!(
        "{out}: {} lines, {} bytes, {} blocks, from {} files",
        text.lines().count(),
        text.len(),
        all_names.len(),
        inputs.len()
    );
}

// ---------------------------------------------------------------------------
// run: the server over stdio

struct Msg {
    at: Instant,
    value: Value,
}

/// Reads framed messages from the server until its stdout closes.
fn reader(out: impl Read + Send + 'static) -> Receiver<Msg> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut r = BufReader::with_capacity(1 << 20, out);
        loop {
            let mut len = None;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 {
                    return;
                }
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some(v) = h.strip_prefix("Content-Length:") {
                    len = v.trim().parse::<usize>().ok();
                }
            }
            let mut body = vec![0; len.expect("a Content-Length header")];
            if r.read_exact(&mut body).is_err() {
                return;
            }
            let at = Instant::now();
            let value = serde_json::from_slice(&body).expect("a JSON message");
            if tx.send(Msg { at, value }).is_err() {
                return;
            }
        }
    });
    rx
}

struct Client {
    stdin: ChildStdin,
    rx: Receiver<Msg>,
    next_id: i64,
}

impl Client {
    fn send(&mut self, v: &Value) {
        let body = serde_json::to_vec(v).unwrap();
        let mut buf = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        buf.extend_from_slice(&body);
        self.stdin.write_all(&buf).expect("writing to the server");
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the first message `want` accepts, answering the server's
    /// own requests meanwhile; returns it and when it was read.
    fn wait(&mut self, want: impl Fn(&Value) -> bool) -> (Value, Instant) {
        loop {
            let m = self
                .rx
                .recv_timeout(Duration::from_secs(300))
                .expect("the server stopped answering");
            let v = m.value;
            if want(&v) {
                return (v, m.at);
            }
            if let (Some(id), Some(method)) = (v.get("id"), v.get("method")) {
                let result = if method == "workspace/configuration" {
                    json!([null])
                } else {
                    Value::Null
                };
                let reply = json!({"jsonrpc": "2.0", "id": id, "result": result});
                self.send(&reply);
            }
        }
    }

    fn wait_response(&mut self, id: i64) -> Value {
        self.wait(|v| v.get("id") == Some(&json!(id)) && v.get("method").is_none())
            .0
    }

    /// Sends `didChange` for `version`, and a request right behind it; waits
    /// for the answer. Returns when the diagnostics of `version` arrived, if
    /// they did (they are published only when they changed), or else when
    /// the answer did; how many diagnostics there were, if published; and
    /// the size of the publication in bytes.
    fn change(&mut self, version: i64, params: Value) -> (Instant, Option<usize>, usize) {
        self.notify("textDocument/didChange", params);
        // A document that is not open: answered at once, after the change.
        let id = self.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": "file:///nowhere.pyasm"}}),
        );
        let mut published = None;
        loop {
            let (v, at) = self.wait(|v| {
                v.get("id") == Some(&json!(id)) && v.get("method").is_none()
                    || v.get("method").and_then(Value::as_str)
                        == Some("textDocument/publishDiagnostics")
                        && v["params"]["version"].as_i64() == Some(version)
            });
            if v.get("method").is_some() {
                let n = v["params"]["diagnostics"].as_array().map_or(0, Vec::len);
                let size = serde_json::to_vec(&v).map_or(0, |b| b.len());
                published = Some((at, n, size));
                continue;
            }
            return match published {
                Some((t, n, size)) => (t, Some(n), size),
                None => (at, None, 0),
            };
        }
    }

    /// Waits for the diagnostics of `version`; returns when they arrived
    /// and how many there were.
    fn wait_diagnostics(&mut self, version: i64) -> (Instant, usize) {
        let (v, at) = self.wait(|v| {
            v.get("method").and_then(Value::as_str) == Some("textDocument/publishDiagnostics")
                && v["params"]["version"].as_i64() == Some(version)
        });
        let n = v["params"]["diagnostics"].as_array().map_or(0, Vec::len);
        (at, n)
    }
}

/// What a newline token costs in a tree-sitter tree: a token that ends a
/// row cannot be stored inline in its parent (`ts_subtree_can_inline`
/// wants `size.extent.row == 0`), so each is a `SubtreeHeapData` of its
/// own, 80 bytes in mimalloc's size classes.
const NEWLINE_LEAF: u64 = 80;

/// The memory a document's parts take, as this process's resident set
/// grows while it builds them one after the other.
struct MemoryParts {
    rope: u64,
    tree: u64,
    analysis: u64,
    lines: usize,
    nodes: usize,
}

/// `parts FILE`: [`memory_parts`] of the file, as one line of JSON.
fn parts(file: &str) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let p = memory_parts(&text);
    println!(
        "{}",
        json!({"rope": p.rope, "tree": p.tree, "analysis": p.analysis, "lines": p.lines, "nodes": p.nodes})
    );
}

/// [`memory_parts`] measured by this program started again on `text`.
fn memory_parts_apart(text: &str) -> MemoryParts {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("text.pyasm");
    std::fs::write(&file, text).expect("write the text");
    let me = std::env::current_exe().expect("this program's path");
    let out = Command::new(me)
        .arg("parts")
        .arg(&file)
        .output()
        .expect("start this program again");
    let v: Value = serde_json::from_slice(&out.stdout).expect("the parts, as JSON");
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    MemoryParts {
        rope: n("rope"),
        tree: n("tree"),
        analysis: n("analysis"),
        lines: n("lines") as usize,
        nodes: n("nodes") as usize,
    }
}

fn memory_parts(text: &str) -> MemoryParts {
    // As the server has it (see `process::keep_memory_low`).
    process::keep_memory_low();
    let me = std::process::id();
    let r0 = memory(me).0;
    let rope = ropey::Rope::from_str(text);
    let r1 = memory(me).0;
    let tree = pyasm::syntax::parse(text, None);
    let r2 = memory(me).0;
    let analysis = FileAnalysis::new(&tree, &text, Version::V3_11, Options::default());
    // As the server does once a document is built.
    process::release_freed_memory();
    let r3 = memory(me).0;
    let mut nodes = 0;
    let mut cursor = tree.walk();
    'walk: loop {
        nodes += 1;
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    let parts = MemoryParts {
        rope: r1.saturating_sub(r0),
        tree: r2.saturating_sub(r1),
        analysis: r3.saturating_sub(r2),
        lines: rope.len_lines(),
        nodes,
    };
    drop((analysis, cursor));
    parts
}

/// `VmRSS` and `VmHWM` of a process, in bytes.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// xorshift64*: a fixed, dependency-free sequence for a given seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Where the opcode starts if `line` is an instruction line: an optional
/// position (digits, `:`, `-`, `?`, spaces), then an upper-case opcode name
/// ending the line or followed by a space. Labels (`L1:`) and directives
/// are not instruction lines.
fn opcode_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let k = b
        .iter()
        .position(|c| !matches!(c, b'0'..=b'9' | b':' | b'-' | b'?' | b' ' | b'\t'))?;
    if !b[k].is_ascii_uppercase() {
        return None;
    }
    let mut e = k;
    while e < b.len() && (b[e].is_ascii_uppercase() || b[e].is_ascii_digit() || b[e] == b'_') {
        e += 1;
    }
    (e - k >= 2 && (e == b.len() || b[e] == b' ')).then_some(k)
}

/// One edit as LSP sees it: line, UTF-16 column, and the inserted character
/// (None: the character at that place is deleted).
/// The requests an editor sends as the user types, timed after edits.
const REQUESTS: [&str; 7] = [
    "textDocument/documentSymbol",
    "textDocument/semanticTokens/full/delta",
    "textDocument/semanticTokens/range",
    "textDocument/foldingRange",
    "textDocument/inlayHint",
    "textDocument/hover",
    "textDocument/completion",
];

struct Edit {
    line: usize,
    col16: usize,
    insert: Option<char>,
}

impl Edit {
    /// The `didChange` parameters that make this edit to version `version`.
    fn did_change(&self, uri: &str, version: i64) -> Value {
        let start = json!({"line": self.line, "character": self.col16});
        let (range, new_text) = match self.insert {
            Some(ch) => (json!({"start": start, "end": start}), ch.to_string()),
            None => (
                json!({"start": start, "end": {"line": self.line, "character": self.col16 + 1}}),
                String::new(),
            ),
        };
        json!({
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": range, "text": new_text}],
        })
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn run(args: &[String]) {
    let file = &args[0];
    let mut server = "target/release/pyasm".to_string();
    let mut n_edits = 500usize;
    let mut full_runs = 5usize;
    let mut seed = 0x5eed_u64;
    let mut phases = false;
    let mut n_requests = 200usize;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        if a == "--phases" {
            phases = true;
            continue;
        }
        let v = it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--server" => server = v.clone(),
            "--edits" => n_edits = v.parse().expect("--edits N"),
            "--full-runs" => full_runs = v.parse().expect("--full-runs N"),
            "--requests" => n_requests = v.parse().expect("--requests N"),
            "--seed" => seed = v.parse().expect("--seed N"),
            _ => panic!("unknown option {a}"),
        }
    }
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let lines: Vec<&str> = text.lines().collect();
    let candidates: Vec<(usize, usize)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| opcode_start(l).map(|k| (i, k)))
        .collect();
    let blocks = lines.iter().filter(|l| l.starts_with(".code ")).count();
    println!("pyasm language server benchmark");
    println!(
        "file: {file}\n  {} lines ({} instruction lines), {} bytes ({:.2} MiB), {} code blocks",
        lines.len(),
        candidates.len(),
        text.len(),
        mib(text.len() as u64),
        blocks
    );

    // The edits, decided up front: each insertion is followed by the
    // deletion of the same character, so the text is back to the original
    // after every pair.
    let mut rng = Rng(seed | 1);
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    let mut edits = Vec::with_capacity(n_edits);
    while edits.len() < n_edits {
        let (line, k) = candidates[rng.below(candidates.len())];
        let l = lines[line];
        // A char boundary from the opcode's start to the end of the line.
        let bounds: Vec<usize> = l[k..]
            .char_indices()
            .map(|(i, _)| k + i)
            .chain([l.len()])
            .collect();
        let at = bounds[rng.below(bounds.len())];
        let col16 = l[..at].encode_utf16().count();
        let c = CHARS[rng.below(CHARS.len())] as char;
        edits.push(Edit {
            line,
            col16,
            insert: Some(c),
        });
        if edits.len() < n_edits {
            edits.push(Edit {
                line,
                col16,
                insert: None,
            });
        }
    }

    let mut cmd = Command::new(&server);
    cmd.arg("lsp").stdin(Stdio::piped()).stdout(Stdio::piped());
    if phases {
        cmd.env("PYASM_LSP_TIMING", "1").stderr(Stdio::piped());
    } else {
        cmd.env_remove("PYASM_LSP_TIMING").stderr(Stdio::inherit());
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{server}: {e}"));
    let timing_lines = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut lines = Vec::new();
            for l in BufReader::new(err).lines().map_while(|l| l.ok()) {
                match l.strip_prefix("pyasm-timing ") {
                    Some(rest) => lines.push(rest.to_string()),
                    None => eprintln!("{l}"),
                }
            }
            lines
        })
    });
    let pid = child.id();
    let mut c = Client {
        stdin: child.stdin.take().unwrap(),
        rx: reader(child.stdout.take().unwrap()),
        next_id: 0,
    };
    let abs = std::fs::canonicalize(file).unwrap();
    let uri = format!("file://{}", abs.display());
    let id = c.request(
        "initialize",
        json!({"processId": std::process::id(), "rootUri": null, "capabilities": {}}),
    );
    c.wait_response(id);
    c.notify("initialized", json!({}));
    // A round trip, so the server has settled (and asked for its
    // configuration) before the idle memory is read.
    let id = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": "file:///nowhere.pyasm"}}),
    );
    c.wait_response(id);
    let (rss_idle, _) = memory(pid);

    let mut version = 1i64;
    let t = Instant::now();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "pyasm", "version": version, "text": text}}),
    );
    let (at, open_diags) = c.wait_diagnostics(version);
    let open = at - t;
    let (rss_open, hwm_open) = memory(pid);

    let mut times = Vec::with_capacity(edits.len());
    let mut diag_counts = (usize::MAX, 0usize);
    let mut last_diags = open_diags;
    for e in &edits {
        version += 1;
        let msg = e.did_change(&uri, version);
        let t = Instant::now();
        let (at, n, _) = c.change(version, msg);
        times.push(at - t);
        if let Some(n) = n {
            diag_counts = (diag_counts.0.min(n), diag_counts.1.max(n));
            last_diags = n;
        }
    }
    let (rss_end, hwm_end) = memory(pid);

    // Each request an editor sends after a keystroke, timed from sending
    // it to its answer, after an edit (and after the edit that undoes it)
    // whose diagnostics have arrived: the request's own cost, on the text
    // as the edit left it.
    let mut requests: Vec<(&str, Vec<Duration>)> =
        REQUESTS.iter().map(|r| (*r, Vec::new())).collect();
    // The largest answer to each, in bytes of JSON.
    let mut sizes = vec![0usize; REQUESTS.len()];
    // All the tokens once, as an editor asks when it opens a file; after
    // an edit it asks for what changed since (the delta request).
    let t = Instant::now();
    let id = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let (v, at) = c.wait(|v| v.get("id") == Some(&json!(id)) && v.get("method").is_none());
    let tokens_whole = at - t;
    let tokens_whole_size = serde_json::to_vec(&v).map_or(0, |b| b.len());
    let mut result_id = v["result"]["resultId"].clone();
    for e in edits.iter().take(n_requests) {
        version += 1;
        c.change(version, e.did_change(&uri, version));
        let doc = json!({"uri": uri});
        let line = e.line as i64;
        let opcode = opcode_start(lines[e.line]).unwrap_or(0);
        let at_opcode = json!({"line": line, "character": opcode});
        // What a screen of about 60 lines around the edit shows.
        let screen = json!({
            "start": {"line": (line - 30).max(0), "character": 0},
            "end": {"line": line + 30, "character": 0},
        });
        for ((method, times), size) in requests.iter_mut().zip(sizes.iter_mut()) {
            let params = match *method {
                "textDocument/hover" => json!({"textDocument": doc, "position": at_opcode}),
                "textDocument/completion" => {
                    json!({"textDocument": doc, "position": {"line": line, "character": e.col16}})
                }
                "textDocument/inlayHint" | "textDocument/semanticTokens/range" => {
                    json!({"textDocument": doc, "range": screen})
                }
                "textDocument/semanticTokens/full/delta" => {
                    json!({"textDocument": doc, "previousResultId": result_id})
                }
                _ => json!({"textDocument": doc}),
            };
            let t = Instant::now();
            let id = c.request(method, params);
            let (v, at) = c.wait(|v| v.get("id") == Some(&json!(id)) && v.get("method").is_none());
            assert!(v.get("error").is_none(), "{method}: {v}");
            times.push(at - t);
            if *method == "textDocument/semanticTokens/full/delta" {
                result_id = v["result"]["resultId"].clone();
            }
            *size = (*size).max(serde_json::to_vec(&v).map_or(0, |b| b.len()));
        }
    }

    let id = c.request("shutdown", json!(null));
    c.wait_response(id);
    c.notify("exit", json!(null));
    drop(c);
    let _ = child.wait();
    let timing_lines = timing_lines.map(|h| h.join().unwrap_or_default());

    // The same text, parsed and analysed from scratch in this process.
    let mut final_text = text.clone();
    if edits.len() % 2 == 1 {
        let e = edits.last().unwrap();
        let line_start: usize = lines[..e.line].iter().map(|l| l.len() + 1).sum();
        let l = lines[e.line];
        let mut byte = 0;
        let mut cu = 0;
        for ch in l.chars() {
            if cu >= e.col16 {
                break;
            }
            cu += ch.len_utf16();
            byte += ch.len_utf8();
        }
        final_text.insert(line_start + byte, e.insert.unwrap());
    }
    // In a process of its own, which has freed nothing it could reuse.
    let parts = memory_parts_apart(&final_text);
    let mut full = Vec::new();
    let mut parse_only = Vec::new();
    let mut analysis_only = Vec::new();
    let mut full_diags = 0;
    for i in 0..=full_runs {
        let t = Instant::now();
        let tree = pyasm::syntax::parse(&final_text, None);
        let t1 = Instant::now();
        let fa = FileAnalysis::new(
            &tree,
            &final_text.as_str(),
            Version::V3_11,
            Options::default(),
        );
        let t2 = Instant::now();
        full_diags = fa.diagnostics().len();
        drop(fa);
        drop(tree);
        // The first run warms up.
        if i > 0 {
            full.push(t2 - t);
            parse_only.push(t1 - t);
            analysis_only.push(t2 - t1);
        }
    }
    let full_med = median(full);

    let mut sorted = times.clone();
    sorted.sort();
    let med = percentile(&sorted, 0.5);
    let p90 = percentile(&sorted, 0.9);
    let p99 = percentile(&sorted, 0.99);
    let max = *sorted.last().unwrap();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    let size = text.len() as u64;

    println!(
        "open: didOpen -> first publishDiagnostics: {:.1} ms ({open_diags} diagnostics)",
        ms(open)
    );
    println!(
        "edits: {} single-character edits ({} insertions, {} deletions) on random instruction lines, seed {seed}",
        times.len(),
        edits.iter().filter(|e| e.insert.is_some()).count(),
        edits.iter().filter(|e| e.insert.is_none()).count(),
    );
    println!(
        "  didChange -> publishDiagnostics: median {:.2} ms, mean {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({}..{} diagnostics per version)",
        ms(med),
        ms(mean),
        ms(p90),
        ms(p99),
        ms(max),
        diag_counts.0,
        diag_counts.1
    );
    println!(
        "full pass in-process (syntax::parse + FileAnalysis::new), median of {full_runs}: {:.1} ms (parse {:.1} ms, analysis {:.1} ms; {full_diags} diagnostics)",
        ms(full_med),
        ms(median(parse_only)),
        ms(median(analysis_only))
    );
    println!(
        "  diagnostics of the last version from the server: {last_diags}, from the full pass: {full_diags}{}",
        if last_diags == full_diags { "" } else { " (DIFFERENT)" }
    );
    let ratio = full_med.as_secs_f64() / med.as_secs_f64();
    println!("  ratio full / incremental median: {ratio:.1}x");
    println!(
        "memory: file {:.2} MiB; server VmRSS idle {:.1} MiB, after open {:.1} MiB ({:.1}x file), after edits {:.1} MiB ({:.1}x); peak VmHWM after open {:.1} MiB, at end {:.1} MiB ({:.1}x file)",
        mib(size),
        mib(rss_idle),
        mib(rss_open),
        rss_open as f64 / size as f64,
        mib(rss_end),
        rss_end as f64 / size as f64,
        mib(hwm_open),
        mib(hwm_end),
        hwm_end as f64 / size as f64,
    );
    println!(
        "  where it goes, measured in a fresh process (VmRSS growth as each is built): rope {:.1} MiB ({:.1}x), tree {:.1} MiB ({:.1}x; {} lines, {} nodes: at least {:.1} MiB is one heap leaf per line for its newline), analysis {:.1} MiB ({:.1}x)",
        mib(parts.rope),
        parts.rope as f64 / size as f64,
        mib(parts.tree),
        parts.tree as f64 / size as f64,
        parts.lines,
        parts.nodes,
        mib(parts.lines as u64 * NEWLINE_LEAF),
        mib(parts.analysis),
        parts.analysis as f64 / size as f64,
    );
    if let Some(lines) = timing_lines {
        print_phases(&lines);
    }
    println!(
        "semanticTokens/full after opening: {:.2} ms; answer {:.2} MiB",
        ms(tokens_whole),
        mib(tokens_whole_size as u64)
    );
    println!(
        "requests after an edit ({} edits; each timed from sending it to its answer):",
        requests.first().map_or(0, |r| r.1.len())
    );
    for ((method, times), size) in requests.iter().zip(&sizes) {
        let mut sorted = times.clone();
        sorted.sort();
        if sorted.is_empty() {
            continue;
        }
        println!(
            "  {method}: median {:.2} ms, p99 {:.2} ms, max {:.2} ms; largest answer {:.2} MiB",
            ms(percentile(&sorted, 0.5)),
            ms(percentile(&sorted, 0.99)),
            ms(*sorted.last().unwrap()),
            mib(*size as u64)
        );
    }
    let yes = |b: bool| if b { "met" } else { "NOT met" };
    println!("goals:");
    for (method, times) in &requests {
        let mut sorted = times.clone();
        sorted.sort();
        if let Some(p99) = (!sorted.is_empty()).then(|| percentile(&sorted, 0.99)) {
            let name = format!(
                "p99 {} < 16 ms:",
                method.trim_start_matches("textDocument/")
            );
            println!("  {name:<37}{:>8.2} ms  {}", ms(p99), yes(ms(p99) < 16.0));
        }
    }
    println!(
        "  p99 edit latency < 16 ms:            {:>8.2} ms  {}",
        ms(p99),
        yes(ms(p99) < 16.0)
    );
    println!(
        "  full / incremental median >= 20x:    {:>8.1} x   {}",
        ratio,
        yes(ratio >= 20.0)
    );
    println!(
        "  VmRSS after open < 10x file size:    {:>8.1} x   {}",
        rss_open as f64 / size as f64,
        yes(rss_open < 10 * size)
    );
    println!(
        "  peak VmHWM < 10x file size:          {:>8.1} x   {}",
        hwm_end as f64 / size as f64,
        yes(hwm_end < 10 * size)
    );
}

/// `f9 DIR [--server PATH] [--edits N] [--only NAME]`: see the module's
/// comment.
fn f9(args: &[String]) {
    let dir = std::path::PathBuf::from(&args[0]);
    let mut server = "target/release/pyasm".to_string();
    let mut n_edits = 20usize;
    let mut only = None;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--server" => server = v.clone(),
            "--edits" => n_edits = v.parse().expect("--edits N"),
            "--only" => only = Some(v.clone()),
            _ => panic!("unknown option {a}"),
        }
    }
    std::fs::create_dir_all(&dir).unwrap();
    const MODULE: &str = ".code module\n    LOAD_CONST None\n    RETURN_VALUE\n";
    let mut tuple = String::from(".code module\n    LOAD_CONST (");
    let mut i = 0u64;
    while tuple.len() < 8_000_000 {
        tuple.push_str(&format!("{i}, "));
        i += 1;
    }
    tuple.push_str(")\n    POP_TOP\n    LOAD_CONST None\n    RETURN_VALUE\n");
    // (name, text, the line and column typed at)
    let mut inputs = vec![
        (
            "f9_empty_lines.pyasm".to_string(),
            format!("{}{MODULE}", "\n".repeat(2_000_000)),
            1_000_000u32,
            0u32,
        ),
        ("f9_huge_constant.pyasm".to_string(), tuple, 2, 4),
        ("f9_no_block.pyasm".to_string(), "    NOP\n".repeat(100_000), 50_000, 4),
        (
            "f9_big_block.pyasm".to_string(),
            format!(
                ".code module\n{}    LOAD_CONST None\n    RETURN_VALUE\n",
                "    NOP\n".repeat(100_000)
            ),
            50_000,
            4,
        ),
        // The same in a function whose locals the instructions store and
        // read: the definite-assignment and kinds analyses have locals
        // to follow.
        (
            "f9_big_function.pyasm".to_string(),
            format!(
                ".code module\n    LOAD_CONST None\n    RETURN_VALUE\n.code f\n    .argcount 1\n    .var a\n    .var b\n    .var c\n    RESUME 0\n{}    LOAD_CONST None\n    RETURN_VALUE\n",
                "    LOAD_FAST a\n    STORE_FAST b\n    LOAD_FAST b\n    STORE_FAST c\n".repeat(25_000)
            ),
            50_000,
            4,
        ),
    ];
    // The big block at other sizes: what an edit still costs per
    // instruction of the block it is typed into.
    for n in [12_500, 25_000, 50_000, 200_000] {
        inputs.push((
            format!("f9_block_of_{n}.pyasm"),
            format!(
                ".code module\n{}    LOAD_CONST None\n    RETURN_VALUE\n",
                "    NOP\n".repeat(n)
            ),
            n as u32 / 2,
            4,
        ));
    }
    println!("issue 19 F9 inputs, {n_edits} edits each, server {server}");
    for (name, text, line, col) in inputs {
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let path = dir.join(&name);
        std::fs::write(&path, &text).unwrap();
        let mut child = Command::new(&server)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .env_remove("PYASM_LSP_TIMING")
            .spawn()
            .unwrap_or_else(|e| panic!("{server}: {e}"));
        let pid = child.id();
        let mut c = Client {
            stdin: child.stdin.take().unwrap(),
            rx: reader(child.stdout.take().unwrap()),
            next_id: 0,
        };
        let id = c.request(
            "initialize",
            json!({"processId": std::process::id(), "rootUri": null, "capabilities": {}}),
        );
        c.wait_response(id);
        c.notify("initialized", json!({}));
        let uri = format!("file://{}", std::fs::canonicalize(&path).unwrap().display());
        let t = Instant::now();
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "pyasm", "version": 1, "text": text}}),
        );
        let (at, open_diags) = c.wait_diagnostics(1);
        let open = at - t;
        let mut times = Vec::new();
        let mut largest = 0;
        for k in 0..n_edits {
            let version = 2 + k as i64;
            let start = json!({"line": line, "character": col});
            let (range, new_text) = if k % 2 == 0 {
                (json!({"start": start, "end": start}), "x")
            } else {
                let end = json!({"line": line, "character": col + 1});
                (json!({"start": start, "end": end}), "")
            };
            let msg = json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": range, "text": new_text}],
            });
            let t = Instant::now();
            let (at, _, size) = c.change(version, msg);
            times.push(at - t);
            largest = largest.max(size);
        }
        let (_, hwm) = memory(pid);
        let id = c.request("shutdown", json!(null));
        c.wait_response(id);
        c.notify("exit", json!(null));
        drop(c);
        let _ = child.wait();
        println!(
            "  {name}: {:.2} MiB; open {:.1} ms ({open_diags} diagnostics); per edit median {:.2} ms, max {:.2} ms; largest publishDiagnostics {:.2} MiB; peak VmHWM {:.1} MiB",
            mib(text.len() as u64),
            ms(open),
            ms(median(times.clone())),
            ms(times.iter().copied().max().unwrap_or_default()),
            mib(largest as u64),
            mib(hwm),
        );
    }
}

/// The server's `pyasm-timing version=N phase=MICROSECONDS...` lines as a
/// table: the open, then the median and 99th percentile of each phase over
/// the edits.
fn print_phases(lines: &[String]) {
    let parsed: Vec<(i64, Vec<(String, u64)>)> = lines
        .iter()
        .filter_map(|l| {
            let mut version = None;
            let mut ps = Vec::new();
            for kv in l.split_whitespace() {
                let (k, v) = kv.split_once('=')?;
                if k == "version" {
                    version = v.parse().ok();
                } else {
                    ps.push((k.to_string(), v.parse().ok()?));
                }
            }
            Some((version?, ps))
        })
        .collect();
    println!("server phases (PYASM_LSP_TIMING; ms):");
    if let Some((_, ps)) = parsed.iter().find(|(v, _)| *v == 1) {
        let s: Vec<String> = ps
            .iter()
            .map(|(k, us)| format!("{k} {:.1}", *us as f64 / 1e3))
            .collect();
        println!("  open: {}", s.join(", "));
    }
    let edits: Vec<&Vec<(String, u64)>> = parsed
        .iter()
        .filter(|(v, _)| *v > 1)
        .map(|(_, ps)| ps)
        .collect();
    let mut names: Vec<&str> = Vec::new();
    for ps in &edits {
        for (k, _) in ps.iter() {
            if !names.contains(&k.as_str()) {
                names.push(k);
            }
        }
    }
    println!(
        "  per edit, over {} versions: phase: median / p99 / mean",
        edits.len()
    );
    for name in names {
        let mut v: Vec<Duration> = edits
            .iter()
            .map(|ps| {
                ps.iter()
                    .find(|(k, _)| k == name)
                    .map_or(Duration::ZERO, |(_, us)| Duration::from_micros(*us))
            })
            .collect();
        v.sort();
        let mean = v.iter().sum::<Duration>() / v.len().max(1) as u32;
        println!(
            "    {name:<15} {:>8.3} {:>8.3} {:>8.3}",
            ms(percentile(&v, 0.5)),
            ms(percentile(&v, 0.99)),
            ms(mean)
        );
    }
}
