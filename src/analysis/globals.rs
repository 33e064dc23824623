//! `unknown-global`: a warning for globals and builtins that the module
//! reads but neither this version's builtins nor any block of the module
//! defines. Module-wide, because any block may assign a global.

use crate::code::PyStr;
use crate::diag::Diag;
use crate::model::{Arg, Module, NameRef, Stmt};
use crate::versions::builtins::is_builtin;
use std::collections::HashSet;

/// Names every module has.
const MODULE_NAMES: &[&str] = &[
    "__name__",
    "__file__",
    "__doc__",
    "__builtins__",
    "__spec__",
    "__loader__",
    "__package__",
    "__path__",
    "__cached__",
    "__annotations__",
    "__dict__",
];

fn name_of(arg: &Arg) -> Option<&PyStr> {
    match arg {
        Arg::Name(n)
        | Arg::NameFlags {
            name: NameRef::Name(n),
            ..
        } => Some(n),
        _ => None,
    }
}

pub fn unknown_globals(module: &Module) -> Vec<Diag> {
    let table = module.version.table();
    let op_name = |code: u8| table.by_code(code).map(|o| o.base.unwrap_or(o.name));
    let mut defined: HashSet<&PyStr> = HashSet::new();
    for b in &module.blocks {
        for s in &b.body {
            let Stmt::Instr(ins) = s else { continue };
            match op_name(ins.opcode) {
                // `from m import *` can define anything.
                Some("IMPORT_STAR") => return Vec::new(),
                Some("CALL_INTRINSIC_1")
                    if ins.arg == Arg::Value(2)
                        && table.intrinsic1.get(2) == Some(&"INTRINSIC_IMPORT_STAR") =>
                {
                    return Vec::new()
                }
                Some("STORE_NAME" | "STORE_GLOBAL" | "DELETE_NAME" | "DELETE_GLOBAL") => {
                    if let Some(n) = name_of(&ins.arg) {
                        defined.insert(n);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for (bi, b) in module.blocks.iter().enumerate() {
        for s in &b.body {
            let Stmt::Instr(ins) = s else { continue };
            // LOAD_NAME outside the module block reads class namespaces.
            let reads_global = match op_name(ins.opcode) {
                Some("LOAD_GLOBAL" | "LOAD_FROM_DICT_OR_GLOBALS") => true,
                Some("LOAD_NAME") => bi == 0,
                _ => false,
            };
            if !reads_global {
                continue;
            }
            let Some(n) = name_of(&ins.arg) else { continue };
            let text = n.as_str().unwrap_or("");
            if defined.contains(n)
                || is_builtin(module.version, text)
                || MODULE_NAMES.contains(&text)
            {
                continue;
            }
            out.push(Diag::warning(
                "unknown-global",
                ins.arg_span.clone(),
                format!(
                    "`{}` is not a builtin of Python {} and no block of this module assigns it",
                    crate::dis::print::name_text(n),
                    module.version
                ),
            ));
        }
    }
    out
}
