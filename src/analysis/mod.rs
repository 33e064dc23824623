//! Analyses over assembled code: stack depths now, the verifier later.

pub mod stack;
pub mod verify;
