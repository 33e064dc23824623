//! Placeholder until the descriptions land.
pub fn describe(_name: &str) -> Option<&'static str> {
    None
}
