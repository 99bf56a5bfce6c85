//! text parsing (see mod.rs).
