//! What the analyses found about one assembled block, kept beside its code:
//! stack depths, the verifier's findings, and the facts the module-wide
//! checks need (functions it makes, hidden parameters it relies on).
//!
//! Plain data, made by the assembler from the analyses' results; nothing
//! here may depend on `asm`.

use super::kinds::Need;
use super::stack::StackResult;
use crate::diag::Diag;
use crate::model::Span;

/// Facts about an assembled block that editors and the disassembler use.
#[derive(Debug, Default)]
pub struct BlockInfo {
    /// Stack depth before each instruction, in body order, or -1 where no
    /// path reaches it (see [`BlockInfo::depth`]): four bytes an
    /// instruction, kept for every block of every open document.
    depths: Vec<i32>,
    pub computed_stacksize: u32,
    pub computed_handler_depths: Vec<Option<u32>>,
    /// The verifier's findings; the block was assembled regardless.
    pub diags: Vec<Diag>,
    /// Functions the block makes from its code blocks, for the module-wide
    /// closure check.
    pub functions: Vec<MadeFunction>,
    /// The compiler's hidden parameters its code relies on getting what
    /// they promise.
    pub hidden: Vec<HiddenParam>,
    /// The block had errors and was not built: a depth missing here may
    /// be one nothing knows, not only one no path reaches.
    pub partial: bool,
}

impl BlockInfo {
    /// The facts of a block whose stack analysis is `analysis`.
    pub fn new(
        analysis: &StackResult,
        computed_handler_depths: Vec<Option<u32>>,
        diags: Vec<Diag>,
        functions: Vec<MadeFunction>,
        hidden: Vec<HiddenParam>,
    ) -> BlockInfo {
        BlockInfo {
            // Dead code is walked from estimated depths (for the stack size,
            // as CPython does); those are no depth any path has.
            // Nor are guessed ones (after an instruction of unknown effect).
            depths: analysis
                .depths
                .iter()
                .zip(&analysis.live)
                .zip(&analysis.unknown)
                .map(|((d, &live), &unknown)| {
                    d.filter(|&d| live && !unknown && d >= 0).unwrap_or(-1)
                })
                .collect(),
            computed_stacksize: analysis.max_depth,
            computed_handler_depths,
            diags,
            functions,
            hidden,
            partial: false,
        }
    }

    /// The stack depth before the `k`th instruction of the body, when a
    /// path reaches it.
    pub fn depth(&self, k: usize) -> Option<i32> {
        self.depths.get(k).copied().filter(|&d| d >= 0)
    }

    /// Drops spare capacity, for an analysis that keeps the facts for as
    /// long as a file is open.
    pub fn shrink_to_fit(&mut self) {
        self.depths.shrink_to_fit();
        self.computed_handler_depths.shrink_to_fit();
        self.diags.shrink_to_fit();
        self.functions.shrink_to_fit();
        self.hidden.shrink_to_fit();
    }
}

/// A hidden parameter of a block (`.0`...): its position, the kinds it
/// promises (as `analysis::kinds` counts them), its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HiddenParam {
    pub position: u32,
    pub kinds: u32,
    pub name: String,
}

/// A function a block makes from another block: where, which block, and
/// what it needs of that block (its closure's length, or to be a
/// generator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeFunction {
    pub span: Span,
    pub block: String,
    pub need: Need,
}
