//! `pyasm diff`: the unified diff of two modules' normal forms, one per
//! code object that differs. Exit status 0 when they are equal, 1 when they
//! differ, 2 when either cannot be read or they are of different versions.

use super::input::read_module;
use crate::dis::normal::Options;
use crate::dis::print::block_text;
use std::io::Write;
use std::path::Path;

pub fn run(a: &Path, b: &Path, options: Options) -> u8 {
    let (read_a, read_b) = (read_module(a), read_module(b));
    let (va, code_a, vb, code_b) = match (read_a, read_b) {
        (Ok((va, ca)), Ok((vb, cb))) => (va, ca, vb, cb),
        (ra, rb) => {
            for e in [ra.err(), rb.err()].into_iter().flatten() {
                eprintln!("{e}");
            }
            return 2;
        }
    };
    if va != vb {
        eprintln!(
            "pyasm diff: {} is for Python {va} and {} for Python {vb}",
            a.display(),
            b.display()
        );
        return 2;
    }
    let table = va.table();
    let listing = |code| -> Vec<(String, String)> {
        crate::normalize(va, code, options)
            .blocks
            .iter()
            .map(|blk| (blk.name.clone(), block_text(table, blk)))
            .collect()
    };
    let (la, lb) = (listing(&code_a), listing(&code_b));
    let index = |l: &[(String, String)]| -> rustc_hash::FxHashMap<String, usize> {
        l.iter()
            .enumerate()
            .map(|(k, (n, _))| (n.clone(), k))
            .collect()
    };
    let (ia, ib) = (index(&la), index(&lb));
    // A's code objects in its order, then those only B has.
    let names = la
        .iter()
        .map(|(n, _)| n)
        .chain(lb.iter().map(|(n, _)| n).filter(|n| !ia.contains_key(*n)));
    let text = |l: &[(String, String)], i: &rustc_hash::FxHashMap<String, usize>, n: &str| {
        i.get(n).map(|&k| l[k].1.clone()).unwrap_or_default()
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut differ = false;
    for name in names {
        let (ta, tb) = (text(&la, &ia, name), text(&lb, &ib, name));
        if ta == tb {
            continue;
        }
        differ = true;
        let diff = similar::TextDiff::from_lines(&ta, &tb);
        let _ = write!(
            out,
            "{}",
            diff.unified_diff().header(
                &format!("{} (.code {name})", a.display()),
                &format!("{} (.code {name})", b.display())
            )
        );
    }
    u8::from(differ)
}
