//! `loghub serve`: the HTTP API of SPEC §4 over any storage backend.
