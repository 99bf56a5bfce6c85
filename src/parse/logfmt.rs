//! logfmt parsing (see mod.rs).
