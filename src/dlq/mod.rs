//! The dead-letter queue (SPEC §6): the on-disk spool of batches that were not
//! delivered, its file format, the replay lock, and `rejected/` and `corrupt/`.
