//! Analyses over assembled code (stack depths, kinds of values, definite
//! assignment, the verifier) and over a module's blocks (`module`).

pub mod facts;
pub mod kinds;
pub mod locals;
pub mod module;
pub mod stack;
pub mod verify;
