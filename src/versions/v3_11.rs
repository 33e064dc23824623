//! CPython 3.11 instruction set.
use super::OpInfo;
pub(super) static OPS: &[OpInfo] = &[];
