//! What makes a file the same file (SPEC §9): its device and inode, and a
//! fingerprint of its first bytes, so a renamed file is recognised and a new
//! file that reuses a freed inode is not. Also what is never read as text:
//! compressed rotations and binary files.

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

/// Bytes the fingerprint covers (fewer while the file is shorter).
pub const FP_BYTES: u64 = 256;

/// FNV-1a, 64 bits: stable across builds and versions (the fingerprints
/// and state directory names are kept on disk).
pub fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A file's identity as seen now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Id {
    pub dev: u64,
    pub ino: u64,
}

impl Id {
    pub fn of(m: &std::fs::Metadata) -> Id {
        Id {
            dev: m.dev(),
            ino: m.ino(),
        }
    }
}

/// The fingerprint of the first `len` bytes of `f`, or `None` when it has
/// fewer (or cannot be read).
pub fn fingerprint(f: &File, len: u64) -> Option<u64> {
    let mut buf = vec![0u8; len as usize];
    let mut got = 0;
    while got < buf.len() {
        match f.read_at(&mut buf[got..], got as u64) {
            Ok(0) => return None,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(fnv1a(&buf))
}

/// The bytes a fingerprint is taken of for a file of `size` bytes.
pub fn fp_len(size: u64) -> u64 {
    size.min(FP_BYTES)
}

/// Extensions of compressed files (rotations that logrotate compressed).
const COMPRESSED: &[&str] = &[
    "gz", "tgz", "bz2", "xz", "zst", "zstd", "lz4", "lzma", "zip", "z", "br", "7z", "sz",
];

/// Why a file is not read as text, judged by its name and first bytes.
pub fn not_text(path: &Path, head: &[u8]) -> Option<&'static str> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    if ext.is_some_and(|e| COMPRESSED.contains(&e.as_str())) {
        return Some("compressed");
    }
    let magic: &[&[u8]] = &[
        &[0x1f, 0x8b],             // gzip
        &[0x28, 0xb5, 0x2f, 0xfd], // zstd
        b"BZh",                    // bzip2
        &[0xfd, b'7', b'z', b'X', b'Z', 0x00],
        &[0x04, 0x22, 0x4d, 0x18], // lz4
        b"PK\x03\x04",             // zip
    ];
    if magic.iter().any(|m| head.starts_with(m)) {
        return Some("compressed");
    }
    if head.contains(&0) {
        return Some("binary (NUL bytes)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_and_binary_files_are_not_text() {
        assert_eq!(not_text(Path::new("a.log.2.gz"), b""), Some("compressed"));
        assert_eq!(
            not_text(Path::new("a.log.1"), &[0x1f, 0x8b, 8, 0]),
            Some("compressed")
        );
        assert_eq!(
            not_text(Path::new("a.log"), b"ok\0x"),
            Some("binary (NUL bytes)")
        );
        assert_eq!(not_text(Path::new("a.log"), b"2026-01-01 INFO up\n"), None);
    }

    #[test]
    fn fnv_is_the_published_function() {
        // The FNV-1a test vector for "a".
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
