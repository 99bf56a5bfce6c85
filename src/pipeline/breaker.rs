//! The circuit breaker (SPEC §3): opens after N consecutive failed requests;
//! while open, batches go straight to the spool; after the reset time one probe
//! request decides.
