//! Analyses over assembled code (stack depths, NULLs, definite assignment,
//! the verifier) and over a module's blocks (`module`).

pub mod locals;
pub mod module;
pub mod nulls;
pub mod stack;
pub mod verify;
