//! pyasm is highlighted three ways: by the tree-sitter queries
//! (grammar/queries/highlights.scm, used by editors built on tree-sitter), by
//! the TextMate grammar of the VS Code extension
//! (editors/vscode/syntaxes/pyasm.tmLanguage.json, what VS Code shows before
//! the server answers) and by the language server's semantic tokens. They must
//! put every token in the same category, through the one table below.
//!
//! The check runs on tests/data/highlight_sample.pyasm, which has every
//! construct of the dialect, and on the examples of every version. Each token
//! of the tree-sitter tree gets exactly one capture; the TextMate scopes of
//! every byte of it (from `vscode-textmate` and `vscode-oniguruma`, run by
//! editors/vscode/scripts/tm-tokens.js) name the same category; and where the
//! server sends a semantic token, it covers exactly that token and names the
//! same category, or one the syntax cannot know (see [`REFINEMENTS`]).
//!
//! The TextMate side needs `npm ci --prefix editors/vscode` (tests/run-all.sh
//! does it).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use pyasm::asm::Options;
use pyasm::lsp::document::{Document, Encoding};
use pyasm::lsp::features::{semantic_tokens, TOKEN_TYPES};
use pyasm::syntax;
use pyasm::versions::Version;
use serde_json::Value;
use tree_sitter::{Node, Query, QueryCursor, StreamingIterator};

/// A highlight category and its name in each of the three systems: the
/// tree-sitter capture, the TextMate scope (a prefix: the grammar adds
/// details and `.pyasm`) and the semantic token type. `None`: that system
/// never says it.
struct Category {
    name: &'static str,
    tree_sitter: Option<&'static str>,
    textmate: Option<&'static str>,
    semantic: Option<&'static str>,
}

const fn cat(
    name: &'static str,
    tree_sitter: Option<&'static str>,
    textmate: Option<&'static str>,
    semantic: Option<&'static str>,
) -> Category {
    Category {
        name,
        tree_sitter,
        textmate,
        semantic,
    }
}

/// The one table. Each name in a column stands for one category only.
/// A label's TextMate scope is that of an enum member, a named constant:
/// VS Code's default themes (Dark Modern, Light Modern) give
/// `entity.name.label` the text's own colour, and the real-VS-Code test
/// (editors/vscode/test/e2e) checks that a label is coloured.
#[rustfmt::skip]
const CATEGORIES: &[Category] = &[
    //  category            tree-sitter capture        TextMate scope                        semantic token
    cat("comment",          Some("comment"),           Some("comment.line.number-sign"),     Some("comment")),
    cat("directive",        Some("keyword.directive"), Some("keyword.control.directive"),    Some("macro")),
    cat("opcode",           Some("keyword"),           Some("keyword.other.opcode"),         Some("keyword")),
    cat("position",         Some("variable.parameter"), Some("variable.parameter.position"), Some("parameter")),
    cat("label",            Some("label"),             Some("variable.other.enummember"),    Some("enumMember")),
    cat("block",            Some("function"),          Some("entity.name.function.block"),   Some("function")),
    cat("identifier",       Some("variable"),          Some("variable.other"),               None),
    cat("local",            None,                      Some("variable.other.local"),         Some("variable")),
    cat("name",             None,                      Some("variable.other.property"),      Some("property")),
    cat("constant",         Some("constant.builtin"),  Some("constant.language"),            None),
    cat("builtin function", Some("function.builtin"),  Some("support.function.builtin"),     None),
    cat("number",           Some("number"),            Some("constant.numeric"),             Some("number")),
    cat("string",           Some("string"),            Some("string.quoted"),                Some("string")),
    cat("operator",         Some("operator"),          Some("keyword.operator"),             Some("operator")),
    cat("delimiter",        Some("punctuation.delimiter"), Some("punctuation.separator"),    None),
    cat("bracket",          Some("punctuation.bracket"), Some("punctuation.section"),        None),
];

/// What only the server can tell. An identifier operand names a label, a
/// local, a `co_names` entry or nothing, depending on the opcode and the
/// version; the syntax-only highlighters call it an identifier and the
/// semantic token says which. The `.code` name is a block and a label's
/// own name a label for all three.
const REFINEMENTS: &[(&str, &[&str])] = &[("identifier", &["label", "local", "name", "block"])];

/// TextMate scopes that carry no category of their own: the category is
/// that of the enclosing scope.
const TEXTMATE_DETAILS: &[&str] = &[
    "source.pyasm",
    "meta.",
    "punctuation.definition.",
    "storage.type.string.",
    "constant.character.escape.",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vscode_dir() -> PathBuf {
    root().join("editors/vscode")
}

fn by_tree_sitter(capture: &str) -> Option<&'static str> {
    CATEGORIES
        .iter()
        .find(|c| c.tree_sitter == Some(capture))
        .map(|c| c.name)
}

fn by_semantic(ty: &str) -> Option<&'static str> {
    CATEGORIES
        .iter()
        .find(|c| c.semantic == Some(ty))
        .map(|c| c.name)
}

fn is_detail(scope: &str) -> bool {
    TEXTMATE_DETAILS
        .iter()
        .any(|d| scope == d.trim_end_matches('.') || scope.starts_with(d))
}

/// The category of one TextMate scope: the longest table prefix it starts
/// with (at a dot).
fn by_textmate_scope(scope: &str) -> Option<&'static str> {
    CATEGORIES
        .iter()
        .filter_map(|c| c.textmate.map(|p| (p, c.name)))
        .filter(|(p, _)| scope == *p || scope.starts_with(&format!("{p}.")))
        .max_by_key(|(p, _)| p.len())
        .map(|(_, name)| name)
}

/// The category of a TextMate token: that of its innermost scope that is not
/// a detail. `Err` names a scope that is neither.
fn by_textmate(scopes: &[String]) -> Result<Option<&'static str>, String> {
    for s in scopes.iter().rev() {
        if let Some(c) = by_textmate_scope(s) {
            return Ok(Some(c));
        }
        if !is_detail(s) {
            return Err(s.clone());
        }
    }
    Ok(None)
}

fn refines(syntax: &str, semantic: &str) -> bool {
    syntax == semantic
        || REFINEMENTS
            .iter()
            .any(|(general, special)| *general == syntax && special.contains(&semantic))
}

#[test]
fn the_table_is_one_to_one() {
    let mut seen: [BTreeMap<&str, &str>; 3] = Default::default();
    for c in CATEGORIES {
        for (i, name) in [c.tree_sitter, c.textmate, c.semantic]
            .into_iter()
            .enumerate()
        {
            if let Some(n) = name {
                if let Some(other) = seen[i].insert(n, c.name) {
                    panic!("`{n}` stands for both {other} and {}", c.name);
                }
            }
        }
    }
    let names: BTreeSet<&str> = CATEGORIES.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), CATEGORIES.len(), "a category is listed twice");
    for (general, special) in REFINEMENTS {
        assert!(names.contains(general), "{general}");
        for s in *special {
            assert!(names.contains(s), "{s}");
        }
    }
}

#[test]
fn every_capture_is_in_the_table() {
    let query = Query::new(&syntax::language(), syntax::HIGHLIGHTS_QUERY).expect("highlights.scm");
    for name in query.capture_names() {
        if !name.starts_with('_') {
            assert!(
                by_tree_sitter(name).is_some(),
                "highlights.scm captures @{name}, which is not in the table of tests/highlight_consistency.rs"
            );
        }
    }
}

#[test]
fn every_semantic_token_type_is_in_the_table() {
    for ty in TOKEN_TYPES {
        assert!(
            by_semantic(ty.as_str()).is_some(),
            "the server sends `{}` tokens, which is not in the table of tests/highlight_consistency.rs",
            ty.as_str()
        );
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every scope name a TextMate grammar gives (rules and captures).
fn textmate_scopes(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("name" | "contentName", Value::String(s)) => {
                        out.extend(s.split_whitespace().map(str::to_string));
                    }
                    _ => textmate_scopes(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| textmate_scopes(x, out)),
        _ => {}
    }
}

#[test]
fn every_textmate_scope_is_in_the_table() {
    let grammar = read_json(&vscode_dir().join("syntaxes/pyasm.tmLanguage.json"));
    assert_eq!(grammar["scopeName"], "source.pyasm");
    let mut scopes = BTreeSet::new();
    textmate_scopes(&grammar["patterns"], &mut scopes);
    textmate_scopes(&grammar["repository"], &mut scopes);
    assert!(!scopes.is_empty());
    for s in &scopes {
        assert!(s.ends_with(".pyasm"), "scope {s} does not end with .pyasm");
        assert!(
            by_textmate_scope(s).is_some() || is_detail(s),
            "the TextMate grammar uses {s}, which is neither in the table of \
             tests/highlight_consistency.rs nor a detail"
        );
    }
}

/// The extension maps each semantic token type to a TextMate scope
/// (`contributes.semanticTokenScopes`), so that VS Code colours a token the
/// same before and after the server's answer. That scope must be of the
/// token type's category.
#[test]
fn the_extension_maps_semantic_tokens_to_their_scopes() {
    let package = read_json(&vscode_dir().join("package.json"));
    let entries = package["contributes"]["semanticTokenScopes"]
        .as_array()
        .expect("contributes.semanticTokenScopes");
    let entry = entries
        .iter()
        .find(|e| e["language"] == "pyasm")
        .expect("semanticTokenScopes for pyasm");
    let scopes = entry["scopes"].as_object().expect("scopes");
    for ty in TOKEN_TYPES {
        let ty = ty.as_str();
        let category = by_semantic(ty).unwrap();
        let mapped: Vec<&str> = scopes
            .get(ty)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("package.json maps no scope for the semantic token `{ty}`"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(!mapped.is_empty(), "{ty}");
        for s in mapped {
            assert_eq!(
                by_textmate_scope(s),
                Some(category),
                "package.json maps the semantic token `{ty}` ({category}) to {s}"
            );
        }
    }
    for ty in scopes.keys() {
        assert!(
            TOKEN_TYPES.iter().any(|t| t.as_str() == ty),
            "package.json maps `{ty}`, a type the server never sends"
        );
    }
}

/// A token of the tree: a leaf, or an `operator` (whose one child is the
/// operator's text).
struct Token {
    range: (usize, usize),
    line: usize,
    column: usize,
    text: String,
}

fn tokens(root: Node, text: &str, out: &mut Vec<Token>) {
    if root.child_count() == 0 || root.kind() == "operator" {
        if root.start_byte() < root.end_byte() {
            out.push(Token {
                range: (root.start_byte(), root.end_byte()),
                line: root.start_position().row,
                column: root.start_position().column,
                text: text[root.byte_range()].to_string(),
            });
        }
        return;
    }
    for i in 0..root.child_count() {
        tokens(root.child(i).unwrap(), text, out);
    }
}

/// One TextMate token, in UTF-8 bytes of its line.
struct TmToken {
    start: usize,
    end: usize,
    scopes: Vec<String>,
}

/// Runs editors/vscode/scripts/tm-tokens.js on `files`.
fn textmate_tokens(files: &[PathBuf]) -> HashMap<PathBuf, Vec<Vec<TmToken>>> {
    let dir = vscode_dir();
    assert!(
        dir.join("node_modules/vscode-textmate").is_dir()
            && dir.join("node_modules/vscode-oniguruma").is_dir(),
        "editors/vscode/node_modules is missing: `npm ci --prefix editors/vscode` installs \
         vscode-textmate and vscode-oniguruma (tests/run-all.sh does)"
    );
    let node = std::env::var("PYASM_NODE").unwrap_or_else(|_| "node".to_string());
    let out = Command::new(&node)
        .arg(dir.join("scripts/tm-tokens.js"))
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {node}: {e} (tests/run-all.sh installs Node)"));
    assert!(
        out.status.success(),
        "tm-tokens.js failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("tm-tokens.js prints JSON");
    files
        .iter()
        .map(|f| {
            let lines = json[f.to_str().unwrap()]
                .as_array()
                .unwrap_or_else(|| panic!("no tokens for {}", f.display()));
            let lines = lines
                .iter()
                .map(|line| {
                    line.as_array()
                        .unwrap()
                        .iter()
                        .map(|t| TmToken {
                            start: t["start"].as_u64().unwrap() as usize,
                            end: t["end"].as_u64().unwrap() as usize,
                            scopes: t["scopes"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|s| s.as_str().unwrap().to_string())
                                .collect(),
                        })
                        .collect()
                })
                .collect();
            (f.clone(), lines)
        })
        .collect()
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The server's semantic tokens of `doc`, decoded to byte ranges (the
/// encoding is UTF-8, so a character is a byte).
fn semantic_by_range(
    doc: &Document,
    line_starts: &[usize],
) -> HashMap<(usize, usize), &'static str> {
    let mut semantic = HashMap::new();
    let (mut line, mut col) = (0usize, 0usize);
    for t in &semantic_tokens(doc).data {
        if t.delta_line > 0 {
            line += t.delta_line as usize;
            col = t.delta_start as usize;
        } else {
            col += t.delta_start as usize;
        }
        let start = line_starts[line] + col;
        let ty = TOKEN_TYPES[t.token_type as usize].as_str();
        semantic.insert((start, start + t.length as usize), ty);
    }
    semantic
}

/// What one file's check found.
struct Report {
    tokens: usize,
    semantic: usize,
    problems: Vec<String>,
}

fn check_file(path: &Path, tm: &[Vec<TmToken>]) -> Report {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = Document::new(&text, 0, Encoding::Utf8, Version::V3_11, Options::default());
    let tree_root = doc.tree.root_node();
    assert!(
        !tree_root.has_error(),
        "{} has syntax errors",
        path.display()
    );
    let mut problems = Vec::new();

    let mut toks = Vec::new();
    tokens(tree_root, &text, &mut toks);

    // Tree-sitter: the captures of each node.
    let query = Query::new(&syntax::language(), syntax::HIGHLIGHTS_QUERY).unwrap();
    let names = query.capture_names();
    let mut captures: HashMap<(usize, usize), BTreeSet<&str>> = HashMap::new();
    let mut cursor = QueryCursor::new();
    let mut it = cursor.captures(&query, tree_root, text.as_bytes());
    while let Some((m, i)) = it.next() {
        let c = m.captures()[*i];
        let name = names[c.index as usize];
        if !name.starts_with('_') {
            captures
                .entry((c.node.start_byte(), c.node.end_byte()))
                .or_default()
                .insert(name);
        }
    }

    let line_starts = line_starts(&text);
    let semantic = semantic_by_range(&doc, &line_starts);
    let token_ranges: BTreeSet<(usize, usize)> = toks.iter().map(|t| t.range).collect();
    for (range, ty) in &semantic {
        if !token_ranges.contains(range) {
            problems.push(format!(
                "semantic token `{ty}` at bytes {range:?} ({:?}) is not a token of the tree",
                &text[range.0..range.1]
            ));
        }
    }

    for t in &toks {
        let at = format!(
            "{}:{}:{} {:?}",
            path.file_name().unwrap().to_string_lossy(),
            t.line + 1,
            t.column + 1,
            t.text
        );
        // Tree-sitter: exactly one capture.
        let ts = captures.get(&t.range).cloned().unwrap_or_default();
        let ts_category = match ts.iter().collect::<Vec<_>>().as_slice() {
            [one] => match by_tree_sitter(one) {
                Some(c) => c,
                None => {
                    problems.push(format!("{at}: @{one} is not in the table"));
                    continue;
                }
            },
            [] => {
                problems.push(format!("{at}: no tree-sitter capture"));
                continue;
            }
            many => {
                problems.push(format!("{at}: several tree-sitter captures {many:?}"));
                continue;
            }
        };

        // TextMate: every byte of the token in the same category.
        let line_start = line_starts[t.line];
        let (a, b) = (t.range.0 - line_start, t.range.1 - line_start);
        let mut tm_categories = BTreeSet::new();
        for byte in a..b {
            let found = tm
                .get(t.line)
                .and_then(|l| l.iter().find(|x| x.start <= byte && byte < x.end));
            let category = match found.map(|x| by_textmate(&x.scopes)) {
                Some(Ok(c)) => c.unwrap_or("nothing"),
                Some(Err(scope)) => {
                    problems.push(format!("{at}: TextMate scope {scope} is not in the table"));
                    "?"
                }
                None => "no TextMate token",
            };
            tm_categories.insert(category);
        }
        let tm_scopes = tm
            .get(t.line)
            .and_then(|l| l.iter().find(|x| x.start <= a && a < x.end))
            .map(|x| x.scopes.join(" "))
            .unwrap_or_default();
        if tm_categories.len() != 1 || !tm_categories.contains(ts_category) {
            problems.push(format!(
                "{at}: tree-sitter says {ts_category} (@{}), TextMate says {tm_categories:?} ({tm_scopes})",
                ts.first().unwrap()
            ));
        }

        // Semantic tokens, where the server sends one.
        if let Some(ty) = semantic.get(&t.range) {
            let sem_category = by_semantic(ty).unwrap_or("not in the table");
            if !refines(ts_category, sem_category) {
                problems.push(format!(
                    "{at}: tree-sitter says {ts_category} (@{}), the server says {sem_category} (`{ty}`)",
                    ts.first().unwrap()
                ));
            }
        }
    }
    Report {
        tokens: toks.len(),
        semantic: semantic.len(),
        problems,
    }
}

fn sample() -> PathBuf {
    root().join("tests/data/highlight_sample.pyasm")
}

fn examples() -> Vec<PathBuf> {
    let mut files = Vec::new();
    // Every version with examples (3.7-3.10 have none yet, issue 22).
    for v in Version::ALL {
        let dir = root().join("examples").join(v.as_str());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "pyasm") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn check(files: &[PathBuf]) {
    let tm = textmate_tokens(files);
    let mut problems = Vec::new();
    for f in files {
        let r = check_file(f, &tm[f]);
        println!(
            "{}: {} tokens, {} semantic tokens, {} disagreements",
            f.strip_prefix(root()).unwrap_or(f).display(),
            r.tokens,
            r.semantic,
            r.problems.len()
        );
        problems.extend(r.problems);
    }
    assert!(
        problems.is_empty(),
        "the highlighters disagree:\n{}",
        problems.join("\n")
    );
}

/// Every construct, in one file.
#[test]
fn the_three_highlighters_agree_on_the_sample() {
    let sample = sample();
    let text = std::fs::read_to_string(&sample).unwrap();
    // The sample really has every kind of token.
    let tree = syntax::parse(&text, None);
    let mut kinds = BTreeSet::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        kinds.insert(n.kind().to_string());
        for i in 0..n.child_count() {
            stack.push(n.child(i).unwrap());
        }
    }
    for k in [
        "comment",
        "directive_name",
        "label",
        "position",
        "integer",
        "float",
        "string",
        "identifier",
        "code_ref",
        "index",
        "operator",
        "ellipsis",
        "tuple",
        "list",
        "set",
        "call",
        ",",
        ":",
        "->",
    ] {
        assert!(kinds.contains(k), "the sample has no {k}");
    }
    check(&[sample]);
}

/// The examples of every version.
#[test]
fn the_three_highlighters_agree_on_the_examples() {
    check(&examples());
}

/// In `NULL + print`, `print + NULL`, `NULL|self + append`,
/// `append + NULL|self` and `two_arg NULL|self + f` the server marks the name
/// as an entry of `co_names`, and not the flag words around it.
#[test]
fn the_server_tells_a_name_from_the_flags_around_it() {
    let cases = [
        ("3.13", "LOAD_GLOBAL NULL + print", "print"),
        ("3.13", "LOAD_GLOBAL print + NULL", "print"),
        ("3.11", "LOAD_GLOBAL NULL + print", "print"),
        ("3.13", "LOAD_ATTR NULL|self + append", "append"),
        ("3.13", "LOAD_ATTR append + NULL|self", "append"),
        ("3.13", "LOAD_SUPER_ATTR two_arg NULL|self + f", "f"),
        ("3.13", "LOAD_SUPER_ATTR two_arg f", "f"),
        ("3.13", "LOAD_ATTR self", "self"),
        ("3.13", "LOAD_GLOBAL NULL + #3", ""),
        ("3.11", "LOAD_NAME x", "x"),
        ("3.11", "STORE_ATTR x", "x"),
    ];
    for (version, line, name) in cases {
        let text = format!(".python {version}\n.code m\n    {line}\n");
        let doc = Document::new(&text, 0, Encoding::Utf8, Version::V3_11, Options::default());
        let starts = line_starts(&text);
        let mut names: Vec<&str> = semantic_by_range(&doc, &starts)
            .into_iter()
            .filter(|(_, ty)| *ty == "property")
            .map(|((a, b), _)| &text[a..b])
            .collect();
        names.sort();
        let expected: Vec<&str> = [name].into_iter().filter(|n| !n.is_empty()).collect();
        assert_eq!(names, expected, "{version}: {line}");
    }
}
