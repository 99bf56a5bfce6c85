//! json parsing (see mod.rs).
