//! Quick fixes for the diagnostics that have one: the nearest opcode name
//! for an unknown one, LOAD_FAST to LOAD_FAST_CHECK for a local that may
//! be unbound, a `.var` line for a missing cell or free variable, and the
//! computed stack size for one written too small.

use super::document::Document;
use std::collections::HashMap;
use tower_lsp_server::ls_types::*;

fn fix(title: String, uri: &Uri, d: &Diagnostic, edits: Vec<TextEdit>) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![d.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..WorkspaceEdit::default()
        }),
        is_preferred: Some(true),
        ..CodeAction::default()
    })
}

fn code(d: &Diagnostic) -> &str {
    match &d.code {
        Some(NumberOrString::String(s)) => s,
        _ => "",
    }
}

/// The text between the first pair of backticks after `prefix`.
fn quoted_after<'m>(msg: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = &msg[msg.find(prefix)? + prefix.len()..];
    let a = rest.find('`')? + 1;
    let b = a + rest[a..].find('`')?;
    Some(&rest[a..b])
}

pub fn code_actions(
    doc: &Document,
    uri: &Uri,
    params: &CodeActionParams,
) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    let version = doc.analysis.preamble.version;
    let table = version.table();
    let root = doc.tree.root_node();
    for d in &params.context.diagnostics {
        let start = doc.offset(d.range.start);
        let line = root
            .descendant_for_byte_range(start, start)
            .map(|n| super::features::line_node(doc, n));
        // Every suggestion for a misspelt name, when the diagnostic points
        // at just that name (a block reference keeps its `@`).
        if let Some(name) = quoted_after(&d.message, "did you mean") {
            let written = doc.slice(start..doc.offset(d.range.end));
            if !written.is_empty() && !written.contains(char::is_whitespace) {
                let new = if written.starts_with('@') {
                    format!("@{name}")
                } else {
                    name.to_string()
                };
                out.push(fix(
                    format!("Replace with `{new}`"),
                    uri,
                    d,
                    vec![TextEdit::new(d.range, new)],
                ));
            }
        }
        match code(d) {
            "unbound-local" => {
                let Some(opn) = line.and_then(|l| l.child_by_field_name("opcode")) else {
                    continue;
                };
                let name = doc.slice(opn.start_byte()..opn.end_byte());
                if matches!(name.as_str(), "LOAD_FAST" | "LOAD_FAST_BORROW")
                    && table.by_name("LOAD_FAST_CHECK").is_some()
                {
                    out.push(fix(
                        "Use LOAD_FAST_CHECK, which raises UnboundLocalError".into(),
                        uri,
                        d,
                        vec![TextEdit::new(
                            doc.range(&(opn.start_byte()..opn.end_byte())),
                            "LOAD_FAST_CHECK".into(),
                        )],
                    ));
                }
            }
            "undefined-name" if d.message.starts_with("no cell or free variable named") => {
                let Some(seg) = doc.analysis.segment_at(start) else {
                    continue;
                };
                let name = doc.slice(start..doc.offset(d.range.end));
                // After the block's last `.var` line, else after `.code`.
                let mut at = None;
                let mut n = crate::syntax::first_top_level(root, seg.start);
                while let Some(x) = n {
                    if x.start_byte() >= seg.end {
                        break;
                    }
                    if x.kind() == "directive" {
                        let dn = x
                            .child_by_field_name("name")
                            .map(|d| doc.slice(d.start_byte()..d.end_byte()));
                        if matches!(dn.as_deref(), Some(".code" | ".var")) {
                            // The LSP line after it (tree-sitter's rows
                            // do not end at a lone `\r`).
                            at = Some(doc.position(x.end_byte()).line + 1);
                        }
                    }
                    n = x.next_sibling();
                }
                let Some(row) = at else { continue };
                let p = Position::new(row, 0);
                for kind in ["cell", "free"] {
                    out.push(fix(
                        format!("Declare `{name}` as a {kind} variable"),
                        uri,
                        d,
                        vec![TextEdit::new(
                            Range::new(p, p),
                            format!("    .var {name} {kind}\n"),
                        )],
                    ));
                }
            }
            "stack-size-too-small" => {
                let Some(seg) = doc.analysis.segment_at(start) else {
                    continue;
                };
                let Some(info) = seg.info.as_ref() else {
                    continue;
                };
                let Some(arg) = line.and_then(|l| l.child_by_field_name("argument")) else {
                    continue;
                };
                let size = info.computed_stacksize;
                out.push(fix(
                    format!("Write the computed stack size, {size}"),
                    uri,
                    d,
                    vec![TextEdit::new(
                        doc.range(&(arg.start_byte()..arg.end_byte())),
                        size.to_string(),
                    )],
                ));
            }
            _ => {}
        }
    }
    out
}
