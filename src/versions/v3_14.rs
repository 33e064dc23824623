//! CPython 3.14 instruction set (to be filled in).

use super::{CompareEncoding, OpInfo, VersionSpec, NB_OPS};

pub(super) static OPS: &[OpInfo] = &[];

pub(super) static SPEC: VersionSpec = VersionSpec {
    ops: OPS,
    nb_ops: NB_OPS,
    compare: CompareEncoding::Index,
    intrinsic1: &[],
    intrinsic2: &[],
    common_constants: &[],
    special_methods: &[],
    function_flags: &[],
};
