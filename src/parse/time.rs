//! time parsing (see mod.rs).
