//! The read-only features: hover, navigation, rename, completion, outline,
//! folding, semantic tokens, inlay hints and formatting. Each reads the
//! document's tree for what is under the cursor and its file analysis for
//! what that means (tables, depths, blocks).

use super::document::{Document, Encoding, LineEdit, SentTokens, Token, TokenState};
use crate::analysis::facts::forbidden;
use crate::asm::{self, tables};
use crate::code::{Obj, PyStr, FLAG_NAMES};
use crate::dis::print::{pad_to_opcode, FIELD_INDENT};
use crate::ide::Seg;
use crate::model::{Arg, Block, Instr, Stmt};
use crate::syntax::literal::{const_text, name_text};
use crate::syntax::{node_kind, NodeKind};
use crate::versions::{ArgKind, OpInfo, OpcodeTable, Version};
use std::ops::Range;
use tower_lsp_server::ls_types::*;
use tree_sitter::Node;

/// Semantic token types, in legend order.
pub const TOKEN_TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,     // 0 opcode
    SemanticTokenType::MACRO,       // 1 directive
    SemanticTokenType::ENUM_MEMBER, // 2 label
    SemanticTokenType::VARIABLE,    // 3 local
    SemanticTokenType::PROPERTY,    // 4 co_names entry
    SemanticTokenType::FUNCTION,    // 5 code block
    SemanticTokenType::NUMBER,      // 6
    SemanticTokenType::STRING,      // 7
    SemanticTokenType::COMMENT,     // 8
    SemanticTokenType::OPERATOR,    // 9
    SemanticTokenType::PARAMETER,   // 10 position
];

/// Semantic token modifiers: `declaration` marks definitions.
pub const TOKEN_MODIFIERS: &[SemanticTokenModifier] = &[SemanticTokenModifier::DECLARATION];

pub fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["@".into(), ".".into(), "#".into()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: SemanticTokensLegend {
                    token_types: TOKEN_TYPES.to_vec(),
                    token_modifiers: TOKEN_MODIFIERS.to_vec(),
                },
                full: Some(SemanticTokensFullOptions::Delta { delta: Some(true) }),
                range: Some(true),
                work_done_progress_options: WorkDoneProgressOptions::default(),
            },
        )),
        inlay_hint_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![
                super::BUILD_COMMAND.to_string(),
                super::DISASSEMBLE_COMMAND.to_string(),
            ],
            ..ExecuteCommandOptions::default()
        }),
        // `pyasm.build` writes only inside the workspace folders, and
        // follows them as they change.
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..ServerCapabilities::default()
    }
}

/// What a name in the text stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sym {
    /// A label, scoped to its block (the segment's start).
    Label(usize, String),
    /// A code block, module-wide.
    Block(String),
    /// A fast local, scoped to its block.
    Local(usize, String),
    /// An entry of `co_names`, scoped to its block.
    Name(usize, String),
}

/// One occurrence of a symbol: where, and whether it defines it.
pub struct Occurrence {
    pub range: Range<usize>,
    pub def: bool,
}

fn text_of(doc: &Document, n: Node) -> String {
    doc.slice(n.start_byte()..n.end_byte())
}

/// The top-level node (a line) that holds `n`. Found from the root down:
/// `Node::parent` searches down from the root each time, so climbing out of
/// a constant nested 100,000 brackets deep one parent at a time took
/// minutes.
pub fn line_node<'t>(doc: &'t Document, n: Node<'t>) -> Node<'t> {
    doc.tree.root_node().child_with_descendant(n).unwrap_or(n)
}

fn version(doc: &Document) -> Version {
    doc.analysis.preamble.version
}

fn op_of(doc: &Document, line: Node) -> Option<&'static OpInfo> {
    let opn = line.child_by_field_name("opcode")?;
    let name = text_of(doc, opn);
    version(doc).table().by_name(&name)
}

/// Which operand of an instruction whose argument is a `co_names` entry is
/// the name, read as the assembler reads it: `[two_arg] [NULL + | NULL|self +]
/// NAME`, 3.15's `[lazy] [eager] NAME`, or the 3.13+ `dis` forms `NAME +
/// NULL` and `NAME + NULL|self`. The other words are flags, not names.
fn name_operand(k: ArgKind, texts: &[&str]) -> usize {
    let at = match k {
        ArgKind::SuperAttr => usize::from(texts.first() == Some(&"two_arg")),
        ArgKind::ImportName => import_flag_words(texts),
        _ => 0,
    };
    match &texts[at.min(texts.len())..] {
        [_, "+", "NULL"] | [_, "+", "NULL", "|", "self"] => at,
        ["NULL", "+", ..] => at + 2,
        ["NULL", "|", "self", "+", ..] => at + 4,
        _ => at,
    }
}

/// How many of an `IMPORT_NAME` operand's leading words are the flags
/// `lazy` and `eager` rather than the module's name (the last word always
/// is the name: `IMPORT_NAME lazy` imports a module called `lazy`).
fn import_flag_words(texts: &[&str]) -> usize {
    texts
        .iter()
        .take(texts.len().saturating_sub(1))
        .take_while(|t| matches!(**t, "lazy" | "eager"))
        .count()
}

/// Visits the nodes under `top` in order, each with its parent and the line
/// (top-level node) it is on; `visit` says whether to go into a node's
/// children. A cursor does the walk, in time linear in the nodes: neither
/// `Node::parent` nor `Node::child(i)` (both linear searches, in the depth
/// and in the number of children) is called per node, so a constant nested
/// 100,000 brackets deep or a tuple of a million items on one line does
/// not take quadratic time.
fn walk_tree<'t>(
    top: Node<'t>,
    top_is_line: bool,
    mut visit: impl FnMut(Node<'t>, Option<Node<'t>>, Node<'t>) -> bool,
) {
    let mut cursor = top.walk();
    let mut parents: Vec<Node<'t>> = Vec::new();
    loop {
        let n = cursor.node();
        let line = match (top_is_line, parents.len()) {
            (true, _) => top,
            (false, 0 | 1) => n,
            (false, _) => parents[1],
        };
        if visit(n, parents.last().copied(), line) && cursor.goto_first_child() {
            parents.push(n);
            continue;
        }
        loop {
            if parents.is_empty() {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            cursor.goto_parent();
            parents.pop();
        }
    }
}

/// What the identifier or `@name` node `n` stands for, if anything, and
/// whether it defines it.
pub fn classify(doc: &Document, n: Node) -> Option<(Sym, bool)> {
    classify_in(doc, n, n.parent()?, line_node(doc, n))
}

/// [`classify`], given `n`'s parent and line, which a walk of the tree
/// knows: finding them from `n` costs a search from the root each.
fn classify_in<'t>(
    doc: &Document,
    n: Node<'t>,
    parent: Node<'t>,
    line: Node<'t>,
) -> Option<(Sym, bool)> {
    let seg_start = doc.analysis.segment_at(n.start_byte())?.start;
    if n.kind() == "code_ref" {
        return Some((Sym::Block(text_of(doc, n)[1..].to_string()), false));
    }
    if n.kind() != "identifier" {
        return None;
    }
    let word = text_of(doc, n);
    match line.kind() {
        "label" if parent == line => Some((Sym::Label(seg_start, word), true)),
        "directive" if parent == line => {
            let name = text_of(doc, line.child_by_field_name("name")?);
            let mut c = line.walk();
            let args: Vec<Node> = line.children_by_field_name("argument", &mut c).collect();
            let first = args.first() == Some(&n);
            match name.as_str() {
                ".code" if first => Some((Sym::Block(word), true)),
                ".var" if first => Some((Sym::Local(seg_start, word), true)),
                ".except" if !matches!(word.as_str(), "depth" | "lasti") => {
                    Some((Sym::Label(seg_start, word), false))
                }
                _ => None,
            }
        }
        "instruction" if parent == line => {
            let op = op_of(doc, line)?;
            let mut c = line.walk();
            let operands: Vec<Node> = line.children_by_field_name("operand", &mut c).collect();
            if !operands.contains(&n) {
                return None;
            }
            match op.arg {
                k if k.is_jump() => Some((Sym::Label(seg_start, word), false)),
                ArgKind::Local | ArgKind::Free | ArgKind::LocalPair => {
                    Some((Sym::Local(seg_start, word), false))
                }
                k if k.uses_names() => {
                    let texts: Vec<String> = operands.iter().map(|&o| text_of(doc, o)).collect();
                    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                    (operands.get(name_operand(k, &texts)) == Some(&n))
                        .then_some((Sym::Name(seg_start, word), false))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The symbol node under a position: an identifier or `@name`.
fn node_at(doc: &Document, pos: Position) -> Option<Node<'_>> {
    let b = doc.offset(pos);
    let root = doc.tree.root_node();
    let pick = |b: usize| {
        root.descendant_for_byte_range(b, b)
            .filter(|n| matches!(n.kind(), "identifier" | "code_ref" | "index"))
    };
    // The cursor may sit just after the word.
    pick(b).or_else(|| b.checked_sub(1).and_then(pick))
}

/// Every occurrence of `sym`.
pub fn occurrences(doc: &Document, sym: &Sym) -> Vec<Occurrence> {
    let range = match sym {
        Sym::Block(_) => 0..doc.rope.len_bytes(),
        Sym::Label(s, _) | Sym::Local(s, _) | Sym::Name(s, _) => {
            let end = doc.analysis.segment_at(*s).map(|g| g.end).unwrap_or(*s);
            *s..end
        }
    };
    let mut out = Vec::new();
    let root = doc.tree.root_node();
    let mut next = crate::syntax::first_top_level(root, range.start);
    while let Some(top) = next {
        if top.start_byte() >= range.end {
            break;
        }
        next = top.next_sibling();
        if top.start_byte() < range.start {
            continue;
        }
        walk_tree(top, true, |n, parent, line| {
            if !matches!(n.kind(), "identifier" | "code_ref") {
                return true;
            }
            let found = parent.and_then(|p| classify_in(doc, n, p, line));
            if let Some((s, def)) = found {
                if &s == sym {
                    out.push(Occurrence {
                        range: n.start_byte()..n.end_byte(),
                        def,
                    });
                }
            }
            false
        });
    }
    out
}

pub fn definition(doc: &Document, pos: Position) -> Option<Range_> {
    let n = node_at(doc, pos)?;
    let (sym, _) = classify(doc, n)?;
    let occ = occurrences(doc, &sym);
    // Locals used without a `.var` are defined by their first use.
    let target = occ.iter().find(|o| o.def).or(match sym {
        Sym::Local(..) | Sym::Name(..) => occ.first(),
        _ => None,
    })?;
    Some(doc.range(&target.range))
}

type Range_ = tower_lsp_server::ls_types::Range;

pub fn references(doc: &Document, pos: Position, include_decl: bool) -> Option<Vec<Range_>> {
    let n = node_at(doc, pos)?;
    let (sym, _) = classify(doc, n)?;
    Some(
        occurrences(doc, &sym)
            .iter()
            .filter(|o| include_decl || !o.def)
            .map(|o| doc.range(&o.range))
            .collect(),
    )
}

fn renamable(sym: &Sym) -> bool {
    matches!(sym, Sym::Label(..) | Sym::Block(_) | Sym::Local(..))
}

pub fn prepare_rename(doc: &Document, pos: Position) -> Option<Range_> {
    let n = node_at(doc, pos)?;
    let (sym, _) = classify(doc, n)?;
    if !renamable(&sym) {
        return None;
    }
    let r = if n.kind() == "code_ref" {
        n.start_byte() + 1..n.end_byte()
    } else {
        n.start_byte()..n.end_byte()
    };
    Some(doc.range(&r))
}

fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Edits that rename the symbol under `pos`. `Err`: why not.
pub fn rename(
    doc: &Document,
    pos: Position,
    new_name: &str,
) -> Result<Option<Vec<TextEdit>>, String> {
    let Some(n) = node_at(doc, pos) else {
        return Ok(None);
    };
    let Some((sym, _)) = classify(doc, n) else {
        return Ok(None);
    };
    if !renamable(&sym) {
        return Err("only labels, code blocks and locals can be renamed".into());
    }
    if !is_identifier(new_name) {
        return Err(format!("`{new_name}` is not an identifier"));
    }
    let clash = match &sym {
        Sym::Label(s, _) => Sym::Label(*s, new_name.into()),
        Sym::Local(s, _) => Sym::Local(*s, new_name.into()),
        Sym::Block(_) => Sym::Block(new_name.into()),
        Sym::Name(s, _) => Sym::Name(*s, new_name.into()),
    };
    if occurrences(doc, &clash).iter().any(|o| o.def) {
        return Err(format!("`{new_name}` is already defined here"));
    }
    let edits = occurrences(doc, &sym)
        .into_iter()
        .map(|o| {
            let mut r = o.range;
            if doc.slice(r.clone()).starts_with('@') {
                r.start += 1;
            }
            TextEdit::new(doc.range(&r), new_name.to_string())
        })
        .collect();
    Ok(Some(edits))
}

/// The segment, block and instruction (index among the block's
/// instructions) at a top-level node.
fn instr_at<'d>(doc: &'d Document, line: Node) -> Option<(&'d Seg, Block, usize, Instr)> {
    let seg = doc.analysis.segment_at(line.start_byte())?;
    let block = doc.block(seg)?;
    let at = line.start_byte();
    let (k, ins) = block
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::Instr(i) => Some(i),
            _ => None,
        })
        .enumerate()
        .find(|(_, i)| i.span.start == at)?;
    let ins = ins.clone();
    Some((seg, block, k, ins))
}

fn md(s: String) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: s,
        }),
        range: None,
    }
}

fn effect_text(op: &OpInfo, arg: u32) -> String {
    let e = op.stack_effect(arg, false);
    if op.is_jump() {
        let j = op.stack_effect(arg, true);
        if j != e {
            return format!("{e:+} (when it jumps: {j:+})");
        }
    }
    format!("{e:+}")
}

/// The block's signature, name and flags as the assembler writes them: the
/// fields the block leaves out get the assembler's defaults.
fn signature(block: &Block, is_root: bool, version: Version) -> String {
    let flags = block.flags.unwrap_or(asm::default_flags(is_root));
    let mut names: Vec<String> = block.vars.iter().map(|v| name_text(&v.name)).collect();
    let argc = block.argcount.unwrap_or(0) as usize;
    let posonly = block.posonlyargcount.unwrap_or(0) as usize;
    let kwonly = block.kwonlyargcount.unwrap_or(0) as usize;
    let mut params = Vec::new();
    let take = |names: &mut Vec<String>| {
        if names.is_empty() {
            "?".to_string()
        } else {
            names.remove(0)
        }
    };
    for i in 0..argc {
        params.push(take(&mut names));
        if i + 1 == posonly {
            params.push("/".into());
        }
    }
    let mut kw = Vec::new();
    for _ in 0..kwonly {
        kw.push(take(&mut names));
    }
    if flags & 0x4 != 0 {
        params.push(format!("*{}", take(&mut names)));
    } else if kwonly > 0 {
        params.push("*".into());
    }
    params.extend(kw);
    if flags & 0x8 != 0 {
        params.push(format!("**{}", take(&mut names)));
    }
    let flag_names: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    let shown = name_text(
        &block
            .name_field
            .clone()
            .unwrap_or_else(|| asm::default_name(block, is_root)),
    );
    format!(
        "```\n{shown}({})\n```\nflags: {} · Python {version}",
        params.join(", "),
        if flag_names.is_empty() {
            "0".to_string()
        } else {
            flag_names.join(" ")
        }
    )
}

fn obj_text(o: &Obj) -> String {
    let s = const_text(o);
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}

fn label_hover(doc: &Document, seg: &Seg, name: &str) -> String {
    let mut s = format!("label `{name}`");
    let sym = Sym::Label(seg.start, name.to_string());
    let occ = occurrences(doc, &sym);
    match occ.iter().find(|o| o.def) {
        Some(d) => s.push_str(&format!(
            ", defined on line {}",
            doc.position(d.range.start).line + 1
        )),
        None => s.push_str(", not defined in this block"),
    }
    let from: Vec<String> = occ
        .iter()
        .filter(|o| !o.def)
        .map(|o| (doc.position(o.range.start).line + 1).to_string())
        .collect();
    if from.is_empty() {
        s.push_str("\n\nnothing jumps here");
    } else {
        s.push_str(&format!(
            "\n\nreferenced from line{} {}",
            if from.len() == 1 { "" } else { "s" },
            from.join(", ")
        ));
    }
    s
}

pub fn hover(doc: &Document, pos: Position) -> Option<Hover> {
    let b = doc.offset(pos);
    let root = doc.tree.root_node();
    let n = root.descendant_for_byte_range(b, b).or_else(|| {
        b.checked_sub(1)
            .and_then(|b| root.descendant_for_byte_range(b, b))
    })?;
    let line = line_node(doc, n);
    let seg = doc.analysis.segment_at(line.start_byte())?;
    let v = version(doc);
    let table = v.table();
    let mut h = match (line.kind(), n.kind()) {
        ("instruction", _) if line.child_by_field_name("opcode") == Some(n) => {
            opcode_hover(doc, line, table)?
        }
        ("label", "identifier") => md(label_hover(doc, seg, &text_of(doc, n))),
        (_, "code_ref") => {
            let name = &text_of(doc, n)[1..];
            block_hover(doc, name, v)?
        }
        ("directive", "identifier")
            if line
                .child_by_field_name("name")
                .is_some_and(|d| text_of(doc, d) == ".code") =>
        {
            block_hover(doc, &text_of(doc, n), v)?
        }
        ("directive", "identifier") => match classify(doc, n)? {
            (Sym::Label(_, name), _) => md(label_hover(doc, seg, &name)),
            (Sym::Local(_, name), _) => local_hover(doc, seg, &name, table)?,
            _ => return None,
        },
        ("instruction", _) => operand_hover(doc, line, n, table)?,
        _ => return None,
    };
    h.range = Some(doc.range(&(n.start_byte()..n.end_byte())));
    Some(h)
}

fn block_hover(doc: &Document, name: &str, v: Version) -> Option<Hover> {
    let seg = doc.analysis.segment_of_block(name)?;
    let block = doc.block(seg)?;
    Some(md(format!(
        "code block `{name}`\n\n{}",
        signature(&block, seg.is_root(), v)
    )))
}

fn local_hover(doc: &Document, seg: &Seg, name: &str, table: &OpcodeTable) -> Option<Hover> {
    let block = doc.block(seg)?;
    let tabs = tables::build(table, &block);
    let i = tabs.var_index(&PyStr::new(name))?;
    let kinds = tabs.vars[i as usize].1;
    Some(md(format!(
        "local `{name}`: `co_localsplusnames[{i}]` (kind 0x{kinds:02x})"
    )))
}

fn opcode_hover(doc: &Document, line: Node, table: &OpcodeTable) -> Option<Hover> {
    let op = op_of(doc, line)?;
    let base = op.base.unwrap_or(op.name);
    let mut s = format!(
        "**{}** — opcode {} in Python {}",
        op.name, op.code, table.version
    );
    if let Some(b) = op.base {
        s.push_str(&format!(" (a specialized form of {b})"));
    }
    if let Some(d) = super::opdocs::describe(base) {
        s.push_str("\n\n");
        s.push_str(d);
    }
    // `analysed`: the block assembled, so a missing depth means that no
    // path reaches the instruction; otherwise its depth was never computed.
    let (arg, depth, analysed) = match instr_at(doc, line) {
        Some((seg, _, k, ins)) => {
            let arg = match &ins.arg {
                Arg::Value(v) => *v,
                _ => 0,
            };
            (
                arg,
                seg.info.as_ref().and_then(|i| i.depth(k)),
                seg.info.as_ref().is_some_and(|i| !i.partial),
            )
        }
        None => (0, None, false),
    };
    s.push_str(&format!("\n\nstack effect: {}", effect_text(op, arg)));
    if op.caches > 0 {
        s.push_str(&format!(" · {} cache entries", op.caches));
    }
    match depth {
        Some(d) => {
            let after = d + op.stack_effect(arg, false);
            s.push_str(&format!("\n\nstack depth here: {d} before, {after} after"));
        }
        None if analysed => s.push_str("\n\nstack depth here: unknown (not reached)"),
        None => s.push_str("\n\nstack depth here: unknown until the block's errors are fixed"),
    }
    Some(md(s))
}

fn operand_hover(doc: &Document, line: Node, n: Node, table: &OpcodeTable) -> Option<Hover> {
    let op = op_of(doc, line)?;
    let (seg, block, _, ins) = instr_at(doc, line)?;
    if op.is_jump() {
        if let Arg::Label(l) = &ins.arg {
            return Some(md(label_hover(doc, seg, l)));
        }
    }
    if n.kind() == "code_ref" {
        return block_hover(doc, &text_of(doc, n)[1..], table.version);
    }
    let tabs = tables::build(table, &block);
    let text = match (op.arg, &ins.arg) {
        (ArgKind::Const, Arg::Const(c)) => {
            let i = tabs.const_index(c)?;
            format!(
                "constant `{}` ({}) → `co_consts[{i}]`",
                obj_text(c),
                c.type_name()
            )
        }
        (ArgKind::Const, Arg::Value(i)) => {
            let c = tabs.consts.get(*i as usize)?;
            format!("`co_consts[{i}]` = `{}` ({})", obj_text(c), c.type_name())
        }
        (ArgKind::Local | ArgKind::Free, Arg::Name(nm)) => {
            let i = tabs.var_index(nm)?;
            format!(
                "local `{}` → `co_localsplusnames[{i}]` (kind 0x{:02x})",
                name_text(nm),
                tabs.vars[i as usize].1
            )
        }
        (ArgKind::Local | ArgKind::Free, Arg::Value(i)) => {
            let (nm, k) = tabs.vars.get(*i as usize)?;
            format!(
                "`co_localsplusnames[{i}]` = local `{}` (kind 0x{k:02x})",
                name_text(nm)
            )
        }
        (_, Arg::Name(nm))
        | (
            _,
            Arg::NameFlags {
                name: crate::model::NameRef::Name(nm),
                ..
            },
        ) => {
            let i = tabs.name_index(nm)?;
            format!("name `{}` → `co_names[{i}]`", name_text(nm))
        }
        (
            _,
            Arg::NameFlags {
                name: crate::model::NameRef::Index(i),
                ..
            },
        ) => {
            let nm = tabs.names.get(*i as usize)?;
            format!("`co_names[{i}]` = `{}`", name_text(nm))
        }
        (ArgKind::Name | ArgKind::GlobalName, Arg::Value(v)) => {
            let i = if op.arg == ArgKind::GlobalName {
                v >> 1
            } else {
                *v
            };
            let nm = tabs.names.get(i as usize)?;
            format!("`co_names[{i}]` = `{}`", name_text(nm))
        }
        (_, Arg::Value(v)) => format!("argument {v} (0x{v:x})"),
        _ => return None,
    };
    Some(md(text))
}

fn item(label: &str, kind: CompletionItemKind, detail: String) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        ..CompletionItem::default()
    }
}

const DIRECTIVES: &[(&str, &str)] = &[
    (".python", "the module's Python version"),
    (".pyc", "the .pyc header"),
    (".code", "start a code block"),
    (".name", "co_name"),
    (".qualname", "co_qualname"),
    (".filename", "co_filename"),
    (".firstlineno", "co_firstlineno"),
    (".flags", "co_flags, by name"),
    (".argcount", "co_argcount"),
    (".posonlyargcount", "co_posonlyargcount"),
    (".kwonlyargcount", "co_kwonlyargcount"),
    (".stacksize", "co_stacksize"),
    (".var", "declare a fast local"),
    (".consts", "pin a co_consts entry"),
    (".names", "pin a co_names entry"),
    (".except", "an exception table entry"),
    (".linetable", "raw location table"),
    (".exceptiontable", "raw exception table"),
    (".verbatim", "one code unit per instruction"),
];

pub fn completion(doc: &Document, pos: Position) -> Option<Vec<CompletionItem>> {
    let b = doc.offset(pos);
    let line_no = doc.rope.byte_to_line(b);
    let line_start = doc.rope.line_to_byte(line_no);
    let before = doc.slice(line_start..b);
    let words: Vec<&str> = before.split_whitespace().collect();
    let partial = !before.ends_with(char::is_whitespace) && !before.is_empty();
    let current = if partial {
        words.last().copied().unwrap_or("")
    } else {
        ""
    };
    let done: Vec<&str> = if partial {
        words[..words.len().saturating_sub(1)].to_vec()
    } else {
        words.clone()
    };
    let v = version(doc);
    let table = v.table();
    let seg = doc.analysis.segment_at(b);
    let block = seg.and_then(|s| doc.block(s));
    let block = block.as_ref();
    let mut out = Vec::new();
    // The blocks a constant here may name: not the module's own (the first
    // segment after the preamble), nor the one being written (a block
    // cannot contain itself).
    let blocks = || {
        doc.analysis
            .segments
            .iter()
            .skip(2)
            .filter(|s| !seg.is_some_and(|here| std::ptr::eq(*s, here)))
            .map(|s| &s.facts.name)
            .filter(|name| !name.is_empty())
            .map(|name| {
                item(
                    &format!("@{name}"),
                    CompletionItemKind::FUNCTION,
                    "code block".into(),
                )
            })
            .collect::<Vec<_>>()
    };
    if current.starts_with('@') {
        return Some(blocks());
    }
    let is_position = |w: &str| w == "-" || w.starts_with(|c: char| c.is_ascii_digit());
    let rest: Vec<&str> = done
        .iter()
        .copied()
        .skip_while(|w| is_position(w))
        .collect();
    if current.starts_with('.') || (rest.is_empty() && done.is_empty() && current.is_empty()) {
        for (d, what) in DIRECTIVES {
            out.push(item(d, CompletionItemKind::KEYWORD, what.to_string()));
        }
        if current.starts_with('.') {
            return Some(out);
        }
    }
    if rest.is_empty() {
        // An opcode: those `check` accepts in a file of this version.
        for op in table.ops.iter().filter(|op| forbidden(op).is_none()) {
            let detail = if op.has_arg() {
                format!("stack effect {:+} (argument 0)", op.stack_effect(0, false))
            } else {
                format!("stack effect {:+}", op.stack_effect(0, false))
            };
            out.push(item(op.name, CompletionItemKind::KEYWORD, detail));
        }
        return Some(out);
    }
    let labels = || -> Vec<CompletionItem> {
        block
            .map(|b| {
                b.body
                    .iter()
                    .filter_map(|s| match s {
                        Stmt::Label(l, _) => {
                            Some(item(l, CompletionItemKind::REFERENCE, "label".into()))
                        }
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    if rest[0] == ".except" {
        return Some(labels());
    }
    let Some(op) = table.by_name(rest[0]) else {
        return Some(out);
    };
    let tabs = block.map(|b| tables::build(table, b));
    match op.arg {
        k if k.is_jump() => out = labels(),
        ArgKind::Local | ArgKind::Free | ArgKind::LocalPair => {
            if let Some(t) = &tabs {
                for (i, (nm, k)) in t.vars.iter().enumerate() {
                    out.push(item(
                        &name_text(nm),
                        CompletionItemKind::VARIABLE,
                        format!("local #{i} (kind 0x{k:02x})"),
                    ));
                }
            }
        }
        ArgKind::Name
        | ArgKind::GlobalName
        | ArgKind::AttrName
        | ArgKind::SuperAttr
        | ArgKind::ImportName => {
            if let Some(t) = &tabs {
                for (i, nm) in t.names.iter().enumerate() {
                    out.push(item(
                        &name_text(nm),
                        CompletionItemKind::FIELD,
                        format!("co_names #{i}"),
                    ));
                }
            }
            if matches!(op.arg, ArgKind::GlobalName) || rest[0] == "LOAD_GLOBAL" {
                out.push(item(
                    "NULL",
                    CompletionItemKind::KEYWORD,
                    "push NULL too".into(),
                ));
            }
        }
        ArgKind::Const => {
            out.extend(blocks());
            for k in ["None", "True", "False"] {
                out.push(item(k, CompletionItemKind::CONSTANT, "constant".into()));
            }
            if let Some(t) = &tabs {
                for (i, c) in t.consts.iter().enumerate() {
                    out.push(CompletionItem {
                        label: format!("#{i}"),
                        kind: Some(CompletionItemKind::VALUE),
                        detail: Some(format!("{} ({})", obj_text(c), c.type_name())),
                        ..CompletionItem::default()
                    });
                }
            }
        }
        _ => {}
    }
    Some(out)
}

/// The code blocks and their labels. Built from the block summaries and
/// the tree, without lowering any block again.
pub fn outline(doc: &Document) -> Vec<DocumentSymbol> {
    let segs = &doc.analysis.segments;
    // The labels of each segment, as lowering takes them: lines without
    // syntax errors.
    let mut labels: Vec<Vec<DocumentSymbol>> = vec![Vec::new(); segs.len()];
    let mut cursor = doc.tree.root_node().walk();
    let mut more = cursor.goto_first_child();
    // Labels come in text order, and so are found along the lines.
    let mut at = doc.positions();
    while more {
        let n = cursor.node();
        more = cursor.goto_next_sibling();
        if node_kind(n) != NodeKind::Label || n.has_error() {
            continue;
        }
        let Some(name) = n.child_by_field_name("name") else {
            continue;
        };
        let k = segs.partition_point(|s| s.end <= n.start_byte());
        let r = Range_::new(at.at(name.start_byte()), at.at(name.end_byte()));
        #[allow(deprecated)]
        labels[k.min(segs.len() - 1)].push(DocumentSymbol {
            name: text_of(doc, name),
            detail: Some("label".into()),
            kind: SymbolKind::KEY,
            tags: None,
            deprecated: None,
            range: r,
            selection_range: r,
            children: None,
        });
    }
    let mut out = Vec::new();
    let (mut at, mut at_sel) = (doc.positions(), doc.positions());
    for (i, (seg, children)) in segs.iter().zip(labels).enumerate().skip(1) {
        let facts = &seg.facts;
        let range = Range_::new(at.at(seg.start), at.at(seg.end.max(seg.start)));
        let sel = seg.shift(&facts.span);
        let sel = Range_::new(at_sel.at(sel.start), at_sel.at(sel.end));
        let detail = facts
            .qualname
            .clone()
            .or_else(|| (i == 1).then(|| "module".to_string()));
        #[allow(deprecated)]
        out.push(DocumentSymbol {
            name: if facts.name.is_empty() {
                "?".into()
            } else {
                facts.name.clone()
            },
            detail,
            kind: if i == 1 {
                SymbolKind::MODULE
            } else {
                SymbolKind::FUNCTION
            },
            tags: None,
            deprecated: None,
            range,
            selection_range: sel,
            children: Some(children),
        });
    }
    out
}

/// The last line of `r` that holds more than whitespace.
fn last_text_line(doc: &Document, r: &Range<usize>) -> u32 {
    let first = doc.rope.byte_to_line(r.start);
    let mut line = doc.rope.byte_to_line(r.end.min(doc.rope.len_bytes()));
    while line > first {
        let l = doc.rope.line(line);
        if l.chars().any(|c| !c.is_whitespace()) && doc.rope.line_to_byte(line) < r.end {
            break;
        }
        line -= 1;
    }
    line as u32
}

pub fn folding(doc: &Document) -> Vec<FoldingRange> {
    let mut out = Vec::new();
    for seg in doc.analysis.segments.iter().skip(1) {
        let start = doc.position(seg.start).line;
        let end = last_text_line(doc, &(seg.start..seg.end));
        if end > start {
            out.push(FoldingRange {
                start_line: start,
                end_line: end,
                kind: Some(FoldingRangeKind::Region),
                ..FoldingRange::default()
            });
        }
    }
    out
}

/// The semantic tokens of the top-level nodes that meet bytes `r`, in
/// text order, and the lines those nodes cover (`None`: no node).
fn tokens_in(doc: &Document, r: Range<usize>) -> (Vec<Token>, Option<(u32, u32)>) {
    let mut raw: Vec<(usize, usize, u32, u32)> = Vec::new();
    let mut lines: Option<(usize, usize)> = None;
    for top in crate::ide::top_nodes_meeting(&doc.tree, &r) {
        let (a, b) = (top.start_byte(), top.end_byte().max(top.start_byte()));
        lines = Some(lines.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
        walk_tree(top, true, |n, parent, line| {
            let ty = token_type(doc, n, parent, line);
            match ty {
                Some((t, m)) if n.start_byte() < n.end_byte() => {
                    raw.push((n.start_byte(), n.end_byte(), t, m));
                    false
                }
                _ => true,
            }
        });
    }
    raw.sort_by_key(|t| t.0);
    let mut at = doc.positions();
    let mut out = Vec::with_capacity(raw.len());
    for (a, b, kind, mods) in raw {
        let s = at.at(a);
        let e = at.at(b);
        // A token is on one line.
        if e.line == s.line {
            out.push(Token {
                line: s.line,
                start: s.character,
                len: e.character - s.character,
                kind,
                mods,
            });
        }
    }
    // A node ends after its line's newline: it covers the lines up to the
    // one its last byte is on.
    let lines = lines.map(|(a, b)| {
        let last = b.saturating_sub(1).max(a);
        (at.at(a).line, at.at(last).line)
    });
    (out, lines)
}

/// The legend indices of node `n` as a token (`None`: not one; look in
/// its children).
fn token_type<'t>(
    doc: &Document,
    n: Node<'t>,
    parent: Option<Node<'t>>,
    line: Node<'t>,
) -> Option<(u32, u32)> {
    match node_kind(n) {
        NodeKind::DirectiveName => Some((1, 0)),
        NodeKind::Comment => Some((8, 0)),
        NodeKind::String => Some((7, 0)),
        NodeKind::Integer | NodeKind::Float | NodeKind::Index => Some((6, 0)),
        NodeKind::Position => Some((10, 0)),
        NodeKind::CodeRef => Some((5, 0)),
        NodeKind::Operator => Some((9, 0)),
        NodeKind::Identifier => {
            if parent.is_some_and(|p| {
                node_kind(p) == NodeKind::Instruction && p.child_by_field_name("opcode") == Some(n)
            }) {
                Some((0, 0))
            } else {
                parent
                    .and_then(|p| classify_in(doc, n, p, line))
                    .map(|(s, def)| {
                        let t = match s {
                            Sym::Label(..) => 2,
                            Sym::Local(..) => 3,
                            Sym::Name(..) => 4,
                            Sym::Block(_) => 5,
                        };
                        (t, def as u32)
                    })
            }
        }
        _ if n.kind() == "->" => Some((9, 0)),
        _ => None,
    }
}

/// Tokens as LSP sends them: each relative to the one before.
fn encode(tokens: &[Token]) -> Vec<SemanticToken> {
    encode_after(None, tokens)
}

/// [`encode`], the first relative to `before` (the start of the text if
/// none).
fn encode_after(before: Option<Token>, tokens: &[Token]) -> Vec<SemanticToken> {
    let (mut pl, mut pc) = before.map_or((0, 0), |t| (t.line, t.start));
    tokens
        .iter()
        .map(|t| {
            let delta_line = t.line - pl;
            let delta_start = if delta_line == 0 {
                t.start - pc
            } else {
                t.start
            };
            (pl, pc) = (t.line, t.start);
            SemanticToken {
                delta_line,
                delta_start,
                length: t.len,
                token_type: t.kind,
                token_modifiers_bitset: t.mods,
            }
        })
        .collect()
}

/// Every semantic token of the document, worked out whole.
pub fn semantic_tokens(doc: &Document) -> SemanticTokens {
    SemanticTokens {
        result_id: None,
        data: encode(&tokens_in(doc, 0..doc.rope.len_bytes()).0),
    }
}

/// The semantic tokens that start in `range`.
pub fn semantic_tokens_range(doc: &Document, range: Range_) -> SemanticTokens {
    let (a, b) = (doc.offset(range.start), doc.offset(range.end));
    let at = |t: &Token| (t.line, t.start);
    let (from, to) = (
        (range.start.line, range.start.character),
        (range.end.line, range.end.character),
    );
    let mut tokens = tokens_in(doc, a..b).0;
    tokens.retain(|t| from <= at(t) && at(t) < to);
    SemanticTokens {
        result_id: None,
        data: encode(&tokens),
    }
}

/// Every semantic token of the document, with a result id that a later
/// delta request can name.
pub fn semantic_tokens_full(doc: &Document) -> SemanticTokens {
    let mut state = doc.token_state();
    let tokens = match reusable(doc, &mut state) {
        Some((mut tokens, edits)) => {
            bring_up_to_date(doc, &mut tokens, &edits);
            tokens
        }
        None => tokens_in(doc, 0..doc.rope.len_bytes()).0,
    };
    let data = encode(&tokens);
    SemanticTokens {
        result_id: Some(remember(doc, &mut state, tokens)),
        data,
    }
}

/// What changed since the tokens sent as `previous`: one edit from the
/// first token that differs to the last, or every token when `previous`
/// is not the last result sent.
pub fn semantic_tokens_delta(doc: &Document, previous: &str) -> SemanticTokensFullDeltaResult {
    let mut state = doc.token_state();
    let same = state
        .sent
        .as_ref()
        .is_some_and(|s| s.id.to_string() == previous);
    let (tokens, window) = match reusable(doc, &mut state) {
        Some((mut tokens, edits)) => {
            let old_len = tokens.len();
            let window = bring_up_to_date(doc, &mut tokens, &edits);
            (tokens, window.filter(|_| same).map(|w| (w, old_len)))
        }
        None => (tokens_in(doc, 0..doc.rope.len_bytes()).0, None),
    };
    let Some(((head, tail), old_len)) = window else {
        let data = encode(&tokens);
        return SemanticTokensFullDeltaResult::Tokens(SemanticTokens {
            result_id: Some(remember(doc, &mut state, tokens)),
            data,
        });
    };
    let edits = if head == tokens.len() && tail == 0 && old_len == tokens.len() {
        Vec::new()
    } else {
        let before = head.checked_sub(1).map(|k| tokens[k]);
        vec![SemanticTokensEdit {
            start: head as u32 * 5,
            delete_count: (old_len - head - tail) as u32 * 5,
            data: Some(encode_after(before, &tokens[head..tokens.len() - tail])),
        }]
    };
    let result_id = Some(remember(doc, &mut state, tokens));
    SemanticTokensFullDeltaResult::TokensDelta(SemanticTokensDelta { result_id, edits })
}

/// The tokens last sent and the edits since, taken out of `state`, when
/// they were classified by the document's version's table.
fn reusable(doc: &Document, state: &mut TokenState) -> Option<(Vec<Token>, Vec<LineEdit>)> {
    let sent = state.sent.take()?;
    let edits = std::mem::take(&mut state.edits);
    (sent.version == version(doc)).then_some((sent.tokens, edits))
}

/// Keeps `tokens` as the last sent, under a new result id.
fn remember(doc: &Document, state: &mut TokenState, tokens: Vec<Token>) -> String {
    state.next_id += 1;
    state.sent = Some(SentTokens {
        id: state.next_id,
        version: version(doc),
        tokens,
    });
    state.edits = Vec::new();
    state.next_id.to_string()
}

/// Brings `tokens` (those last sent) up to the document now: moved by the
/// edits since, with the lines those touched worked out again. Returns
/// which tokens may read otherwise, as how many at the start and at the
/// end are as they were (those at the end moved by whole lines only); or
/// `None` when they had to be worked out whole (a node reaching back into
/// the lines worked out before it, which hardly happens: lines are apart
/// in the grammar).
fn bring_up_to_date(
    doc: &Document,
    tokens: &mut Vec<Token>,
    edits: &[LineEdit],
) -> Option<(usize, usize)> {
    let (mut head, mut tail) = (tokens.len(), tokens.len());
    // Lines to work out again, inclusive, in the lines of the text now.
    let mut dirty: Vec<(u32, u32)> = Vec::new();
    for e in edits {
        let delta = i64::from(e.new_end) - i64::from(e.old_end);
        let moved = |x: u32| (i64::from(x) + delta) as u32;
        let lo = tokens.partition_point(|t| t.line < e.start);
        let hi = tokens.partition_point(|t| t.line <= e.old_end);
        tokens.drain(lo..hi);
        if delta != 0 {
            for t in &mut tokens[lo..] {
                t.line = moved(t.line);
            }
        }
        head = head.min(lo);
        tail = tail.min(tokens.len() - lo);
        // A line after the edit moves with it; one inside it goes to the
        // edit's start, or its new end.
        let place = |x: u32, inside: u32| {
            if x > e.old_end {
                moved(x)
            } else if x >= e.start {
                inside
            } else {
                x
            }
        };
        for d in dirty.iter_mut() {
            *d = (place(d.0, e.start), place(d.1, e.new_end));
        }
        dirty.push((e.start, e.new_end));
    }
    dirty.sort();
    let last_line = doc.rope.len_lines().saturating_sub(1) as u32;
    let mut k = 0;
    // The last line worked out again.
    let mut done: Option<u32> = None;
    while k < dirty.len() {
        // One run of dirty lines, widened to the nodes on them.
        let (mut lo, mut hi) = dirty[k];
        k += 1;
        let fresh = loop {
            while k < dirty.len() && dirty[k].0 <= hi.saturating_add(1) {
                hi = hi.max(dirty[k].1);
                k += 1;
            }
            let (lo_c, hi_c) = (lo.min(last_line), hi.min(last_line));
            let a = doc.rope.line_to_byte(lo_c as usize);
            let b = doc.rope.line_to_byte(hi_c as usize + 1);
            let (fresh, covered) = tokens_in(doc, a..b);
            match covered {
                Some((x, y)) if x < lo || y > hi => {
                    (lo, hi) = (lo.min(x), hi.max(y));
                }
                _ => break fresh,
            }
        };
        if done.is_some_and(|d| lo <= d.saturating_add(1)) {
            *tokens = tokens_in(doc, 0..doc.rope.len_bytes()).0;
            return None;
        }
        done = Some(hi);
        let a = tokens.partition_point(|t| t.line < lo);
        let b = tokens.partition_point(|t| t.line <= hi);
        let n = fresh.len();
        tokens.splice(a..b, fresh);
        head = head.min(a);
        tail = tail.min(tokens.len() - a - n);
    }
    // The first token kept at the end is encoded from the one before it,
    // which may have changed.
    if head < tokens.len() || tail < tokens.len() {
        tail = tail.saturating_sub(1);
    }
    Some((
        head.min(tokens.len()),
        tail.min(tokens.len() - head.min(tokens.len())),
    ))
}

pub fn inlay_hints(doc: &Document, range: Range_) -> Vec<InlayHint> {
    let (a, b) = (doc.offset(range.start), doc.offset(range.end));
    let mut out = Vec::new();
    for seg in &doc.analysis.segments {
        if seg.end < a || seg.start > b {
            continue;
        }
        let Some(info) = seg.info.as_ref() else {
            continue;
        };
        let Some(block) = doc.block(seg) else {
            continue;
        };
        let mut k = 0;
        for s in &block.body {
            let Stmt::Instr(ins) = s else { continue };
            let depth = info.depth(k);
            k += 1;
            let span = ins.span.clone();
            if span.start < a || span.start > b {
                continue;
            }
            let Some(d) = depth else { continue };
            // Before the opcode: after the position, if there is one.
            let root = doc.tree.root_node();
            let at = root
                .descendant_for_byte_range(span.start, span.start)
                .map(|n| line_node(doc, n))
                .and_then(|l| l.child_by_field_name("opcode"))
                .map(|o| o.start_byte())
                .unwrap_or(span.start);
            out.push(InlayHint {
                position: doc.position(at),
                label: InlayHintLabel::String(format!("[{d}]")),
                kind: None,
                text_edits: None,
                tooltip: Some(InlayHintTooltip::String(format!(
                    "stack depth before this instruction: {d}"
                ))),
                padding_left: None,
                padding_right: Some(true),
                data: None,
            });
        }
    }
    out
}

/// The canonical text of one line node without errors, or `None` to leave
/// it as it is.
fn canonical_line(doc: &Document, n: Node) -> Option<String> {
    if n.has_error() || n.start_position().row != n.end_position().row {
        return None;
    }
    // Values after the head, one space apart, commas kept, `NULL|self`
    // written as one word (as `pyasm dis` writes it); a comment inside the
    // node goes last.
    let values = |from: usize| -> String {
        let mut s = String::new();
        let mut comment = None;
        let mut c = n.walk();
        let kids: Vec<Node> = n.children(&mut c).collect();
        let ident = |k: usize| kids.get(k).is_some_and(|x| x.kind() == "identifier");
        let mut glue = false;
        for (i, ch) in kids.iter().enumerate() {
            if ch.kind() == "comment" {
                // A comment runs to the end of the line, trailing spaces
                // included.
                comment = Some(text_of(doc, *ch).trim_end().to_string());
                continue;
            }
            if i < from {
                continue;
            }
            let t = text_of(doc, *ch);
            if t == "," {
                s.push(',');
            } else if t == "|" && i > from && ident(i - 1) && ident(i + 1) {
                s.push('|');
                glue = true;
                continue;
            } else {
                if !glue {
                    s.push(' ');
                }
                s.push_str(&t);
            }
            glue = false;
        }
        if let Some(cm) = comment {
            s.push_str("  ");
            s.push_str(&cm);
        }
        s
    };
    match n.kind() {
        "directive" => {
            let name = text_of(doc, n.child_by_field_name("name")?);
            let indent = if matches!(name.as_str(), ".python" | ".pyc" | ".code") {
                ""
            } else {
                FIELD_INDENT
            };
            Some(format!("{indent}{name}{}", values(1)))
        }
        "label" => Some(format!("{}:", text_of(doc, n.child_by_field_name("name")?))),
        "instruction" => {
            let pos = n.child_by_field_name("position");
            let op = n.child_by_field_name("opcode")?;
            let skip = if pos.is_some() { 2 } else { 1 };
            let mut line = pos.map(|p| text_of(doc, p)).unwrap_or_default();
            pad_to_opcode(&mut line, 0);
            line.push_str(&text_of(doc, op));
            line.push_str(&values(skip));
            Some(line)
        }
        _ => None,
    }
}

/// The whole document in the canonical layout: directives of the module
/// at the margin, block fields indented four, labels at the margin,
/// instructions after the position field (`dis::print`'s layout), values one space
/// apart, one blank line before each block, no trailing spaces. Lines
/// with syntax errors are left alone. `None`: already canonical.
pub fn format(doc: &Document) -> Option<Vec<TextEdit>> {
    let text = doc.text();
    let root = doc.tree.root_node();
    let mut by_line: std::collections::HashMap<usize, Node> = std::collections::HashMap::new();
    let mut comments: std::collections::HashMap<usize, Node> = std::collections::HashMap::new();
    // Rows left as they are, because the canonical form of their line node
    // would drop text: those an error touches, those holding more than one
    // line node (a statement and an ERROR after it, say) or a comment that
    // does not come last, and those with a lone `\r` (a line break for the
    // editor, a blank for the parser).
    let mut keep: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for (row, raw) in lines.iter().enumerate() {
        if raw.strip_suffix('\r').unwrap_or(raw).contains('\r') {
            keep.insert(row);
        }
    }
    let mut c = root.walk();
    for n in root.children(&mut c) {
        let row = n.start_position().row;
        if n.kind() == "comment" {
            if comments.insert(row, n).is_some() {
                keep.insert(row);
            }
        } else if n.is_named() {
            if n.is_error() || n.has_error() {
                keep.extend(row..=n.end_position().row);
            }
            if by_line.insert(row, n).is_some() {
                keep.insert(row);
            }
        }
    }
    for (row, cm) in &comments {
        if by_line
            .get(row)
            .is_some_and(|n| cm.start_byte() < n.end_byte())
        {
            keep.insert(*row);
        }
    }
    by_line.retain(|row, _| !keep.contains(row));
    let mut out = String::with_capacity(text.len());
    // Lines end as the document's first line does (CRLF or LF).
    let eol = match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    };
    let mut blank_run = 0;
    for (row, raw) in lines.iter().enumerate() {
        let last = row + 1 == lines.len();
        let raw_line = raw.strip_suffix('\r').unwrap_or(raw);
        let mut line = match by_line.get(&row).and_then(|n| canonical_line(doc, *n)) {
            Some(mut l) => {
                // A comment after the code on the same line.
                if let Some(cm) = comments.get(&row) {
                    l.push_str("  ");
                    l.push_str(text_of(doc, *cm).trim_end());
                }
                l
            }
            None => raw_line.trim_end().to_string(),
        };
        if by_line.get(&row).is_some_and(|n| {
            n.kind() == "directive"
                && n.child_by_field_name("name")
                    .is_some_and(|d| text_of(doc, d) == ".code")
        }) && !out.is_empty()
            && blank_run == 0
        {
            out.push_str(eol);
        }
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 && !last {
                continue;
            }
        } else {
            blank_run = 0;
        }
        if last {
            if !line.is_empty() {
                out.push_str(&line);
                out.push_str(eol);
            }
        } else {
            line.push_str(eol);
            out.push_str(&line);
        }
    }
    if out == text {
        return None;
    }
    let end = doc.position(doc.rope.len_bytes());
    Some(vec![TextEdit::new(
        Range_::new(Position::new(0, 0), end),
        out,
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm::Options;
    use proptest::prelude::*;

    const TOKENS_TEXT: &str = ".python 3.11\n\
        # a module\n\
        .code module\n\
        .consts @f None\n\
        1:0-5  LOAD_CONST @f\n\
        \x20      MAKE_FUNCTION 0\n\
        \x20      STORE_NAME f\n\
        top:   LOAD_NAME f  # 'é𝄞'\n\
        \x20      POP_JUMP_IF_FALSE top\n\
        \x20      LOAD_CONST ('x', 1.5, -3)\n\
        \x20      RETURN_VALUE\n\
        .code f\n\
        .var a b\n\
        \x20      LOAD_FAST a\n\
        \x20      STORE_FAST b\n\
        \x20      LOAD_GLOBAL NULL + print\n\
        \x20      RETURN_VALUE\n";

    /// Applies a delta the way a client does.
    fn apply_delta(data: &mut Vec<u32>, delta: SemanticTokensFullDeltaResult) -> String {
        match delta {
            SemanticTokensFullDeltaResult::Tokens(t) => {
                *data = flat(&t.data);
                t.result_id.unwrap()
            }
            SemanticTokensFullDeltaResult::TokensDelta(d) => {
                for e in d.edits.iter().rev() {
                    let (a, n) = (e.start as usize, e.delete_count as usize);
                    data.splice(a..a + n, flat(e.data.as_deref().unwrap_or(&[])));
                }
                d.result_id.unwrap()
            }
            SemanticTokensFullDeltaResult::PartialTokensDelta { .. } => {
                panic!("never sent")
            }
        }
    }

    fn flat(t: &[SemanticToken]) -> Vec<u32> {
        t.iter()
            .flat_map(|t| {
                [
                    t.delta_line,
                    t.delta_start,
                    t.length,
                    t.token_type,
                    t.token_modifiers_bitset,
                ]
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Tokens kept from one request to the next, moved by the edits and
        /// worked out again only where they touched, are the tokens of the
        /// text worked out whole; so are the ranges.
        #[test]
        fn tokens_sent_as_deltas_are_the_tokens_of_the_text(
            steps in prop::collection::vec(
                (
                    prop::collection::vec(
                        (any::<prop::sample::Index>(), 0usize..6, prop_oneof![
                            Just(String::new()),
                            Just("\n".to_string()),
                            Just("x".to_string()),
                            Just(" LOAD_FAST q\n".to_string()),
                            Just("L9:\n".to_string()),
                            Just(".code g\n".to_string()),
                            Just(".python 3.12\n".to_string()),
                            Just("'é\n𝄞".to_string()),
                            Just("# c\n\n".to_string()),
                            Just("(1,\n2)".to_string()),
                        ]),
                        1..4,
                    ),
                    0u8..3,
                    any::<prop::sample::Index>(),
                ),
                1..12,
            ),
            utf16 in any::<bool>(),
        ) {
            let encoding = if utf16 { Encoding::Utf16 } else { Encoding::Utf8 };
            let mut doc = Document::new(TOKENS_TEXT, 1, encoding, Version::V3_11, Options::default());
            let first = semantic_tokens_full(&doc);
            let mut client = flat(&first.data);
            let mut id = first.result_id.unwrap();
            for (changes, ask, at) in steps {
                for (place, len, text) in changes {
                    // Applied one after the other, each on the text before.
                    let (a, b) = crate::lsp::document::tests::char_range(&doc.text(), place, len);
                    let range = Range_::new(doc.position(a), doc.position(b));
                    let ev = TextDocumentContentChangeEvent {
                        range: Some(range),
                        range_length: None,
                        text,
                    };
                    doc.apply(std::slice::from_ref(&ev), 2);
                }
                let whole = flat(&semantic_tokens(&doc).data);
                match ask {
                    0 => {
                        id = apply_delta(&mut client, semantic_tokens_delta(&doc, &id));
                        prop_assert_eq!(&client, &whole, "text now:\n{}", doc.text());
                    }
                    1 => {
                        let full = semantic_tokens_full(&doc);
                        id = full.result_id.unwrap();
                        prop_assert_eq!(&flat(&full.data), &whole, "text now:\n{}", doc.text());
                        client = whole.clone();
                    }
                    _ => {
                        // A range of whole lines: the tokens on them.
                        let n = doc.rope.len_lines() as u32;
                        let l0 = at.index(n as usize) as u32;
                        let l1 = (l0 + 3).min(n);
                        let r = Range_::new(Position::new(l0, 0), Position::new(l1, 0));
                        let all = tokens_in(&doc, 0..doc.rope.len_bytes()).0;
                        let want: Vec<Token> =
                            all.into_iter().filter(|t| t.line >= l0 && t.line < l1).collect();
                        prop_assert_eq!(flat(&semantic_tokens_range(&doc, r).data), flat(&encode(&want)));
                    }
                }
            }
        }
    }

    /// The hover text on the opcode of line `line` (0-based).
    fn opcode_hover_text(text: &str, line: u32) -> String {
        let doc = Document::new(text, 1, Encoding::Utf16, Version::V3_11, Options::default());
        match hover(&doc, Position::new(line, 9)).map(|h| h.contents) {
            Some(HoverContents::Markup(m)) => m.value,
            other => panic!("no markdown hover on line {line}: {other:?}"),
        }
    }

    #[test]
    fn opcode_hover_says_why_a_depth_is_unknown() {
        let ok = ".python 3.11\n.code module\n1       RESUME 0\n        LOAD_CONST None\n        RETURN_VALUE\n";
        let h = opcode_hover_text(ok, 3);
        assert!(h.contains("0 before, 1 after"), "{h}");
        // An undefined label: the block does not assemble, but it is
        // analysed, and the depth before the jump is known.
        let bad = ok.replacen(
            "        RETURN_VALUE\n",
            "        JUMP_FORWARD nowhere\n",
            1,
        );
        let h = opcode_hover_text(&bad, 3);
        assert!(h.contains("0 before, 1 after"), "{h}");
        // After a misspelt opcode nothing knows the depth: not "not reached".
        let bad = ok.replacen("LOAD_CONST None", "LOAD_CONSTT None", 1);
        let h = opcode_hover_text(&bad, 4);
        assert!(
            h.contains("unknown until the block's errors are fixed"),
            "{h}"
        );
    }

    #[test]
    fn a_listing_with_long_positions_is_already_canonical() {
        // Positions such as `1000:12-1003:1` fill the position field.
        let pyc = include_bytes!("../../tests/listings/positions-3.13.pyc");
        let text = crate::disassemble_pyc(pyc).unwrap().text;
        assert!(
            text.contains("\n1000:12-1003:1 LOAD_CONST @genexpr\n"),
            "{text}"
        );
        for line in text.lines() {
            let mut words = line.split_whitespace();
            if let (Some(first), Some(_)) = (words.next(), words.next()) {
                // No position runs into its opcode.
                assert!(
                    !first.contains(':')
                        || first.ends_with(':')
                        || !first.contains(char::is_uppercase),
                    "{line}"
                );
            }
        }
        let doc = Document::new(
            &text,
            1,
            Encoding::Utf16,
            Version::V3_13,
            Options::default(),
        );
        assert!(
            format(&doc).is_none(),
            "the formatter would change the listing"
        );
        // And the formatter writes that layout back.
        let messy = text.replace(
            "1000:12-1003:1 LOAD_CONST",
            "1000:12-1003:1      LOAD_CONST",
        );
        let doc = Document::new(
            &messy,
            1,
            Encoding::Utf16,
            Version::V3_13,
            Options::default(),
        );
        let edits = format(&doc).expect("edits");
        assert_eq!(edits[0].new_text, text);
    }

    /// The hover text on the name of the `.code` line of block `name`.
    fn block_hover_text(text: &str, name: &str) -> String {
        let doc = Document::new(text, 1, Encoding::Utf16, Version::V3_11, Options::default());
        let line = text
            .lines()
            .position(|l| l == format!(".code {name}"))
            .unwrap();
        match hover(&doc, Position::new(line as u32, 6)).map(|h| h.contents) {
            Some(HoverContents::Markup(m)) => m.value,
            other => panic!("no markdown hover on block {name}: {other:?}"),
        }
    }

    #[test]
    fn block_hover_shows_the_defaults_the_assembler_writes() {
        let text = ".python 3.12\n.code module\n  LOAD_CONST @f\n  MAKE_FUNCTION 0\n  RETURN_VALUE\n.code f\n  RETURN_CONST None\n";
        let built = crate::assemble(text, &Default::default());
        assert!(built.diags.is_empty(), "{:?}", built.diags);
        let module = built.code.unwrap();
        let Obj::Code(f) = &module.consts[0] else {
            panic!("{:?}", module.consts[0]);
        };
        let flags = |v: u32| {
            let names: Vec<&str> = FLAG_NAMES
                .iter()
                .filter(|(b, _)| v & b != 0)
                .map(|(_, n)| *n)
                .collect();
            if names.is_empty() {
                "0".to_string()
            } else {
                names.join(" ")
            }
        };
        for (name, code) in [("module", &module), ("f", &**f)] {
            let h = block_hover_text(text, name);
            assert!(
                h.contains(&format!("flags: {} ·", flags(code.flags))),
                "{name}: {h}"
            );
            assert!(
                h.contains(&format!("\n{}()\n", name_text(&code.name))),
                "{name}: {h}"
            );
        }
        // The module's block: no flags, named `<module>`, as CPython's are.
        assert_eq!(module.flags, 0);
        assert_eq!(module.name, PyStr::new("<module>"));
    }

    #[test]
    fn completion_offers_the_opcodes_check_accepts() {
        for &v in Version::ALL {
            let text = format!(".python {v}\n.code module\n  \n");
            let doc = Document::new(&text, 1, Encoding::Utf16, v, Options::default());
            let offered: std::collections::HashSet<String> = completion(&doc, Position::new(2, 2))
                .unwrap()
                .into_iter()
                .map(|i| i.label)
                .collect();
            let table = v.table();
            // What `check` says of each instruction of the table, written
            // first in a block, where it always runs.
            for op in table.ops {
                let operand = if op.has_arg() { " #0" } else { "" };
                let file = format!(".python {v}\n.code module\n  {}{operand}\n", op.name);
                let refused = crate::check(&file, &Default::default())
                    .diags
                    .iter()
                    .any(|d| d.code == "forbidden-opcode");
                assert_eq!(
                    offered.contains(op.name),
                    !refused,
                    "{v}: {} is {} but {}",
                    op.name,
                    if offered.contains(op.name) {
                        "offered"
                    } else {
                        "not offered"
                    },
                    if refused { "refused" } else { "accepted" }
                );
            }
        }
        // The one the issue saw offered: 3.11's specialized LOAD_ATTR.
        let text = ".python 3.11\n.code module\n  \n";
        let doc = Document::new(text, 1, Encoding::Utf16, Version::V3_11, Options::default());
        let labels: Vec<String> = completion(&doc, Position::new(2, 2))
            .unwrap()
            .into_iter()
            .map(|i| i.label)
            .collect();
        assert!(labels.iter().any(|l| l == "LOAD_ATTR"));
        assert!(!labels.iter().any(|l| l == "LOAD_ATTR_ADAPTIVE"));
    }
}
