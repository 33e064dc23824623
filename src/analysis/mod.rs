//! Analyses over assembled code: stack depths now, the verifier later.

pub mod globals;
pub mod locals;
pub mod nulls;
pub mod stack;
pub mod verify;
