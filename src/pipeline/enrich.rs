//! Enrichment (SPEC §3): `--tag k=v` and `--env` into metadata, `--trace-id`
//! (or `TRACEPARENT`) for records that carry none, and the `_truncated` mark.

use serde_json::Value;

use crate::parse::Event;
use crate::record::Record;

#[derive(Debug, Clone, Default)]
pub struct Enricher {
    /// Added to every record's metadata (over what the input had).
    pub tags: Vec<(String, Value)>,
    /// For records whose input names no trace.
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
}

impl Enricher {
    pub fn new(
        tags: impl IntoIterator<Item = (String, String)>,
        environment: Option<String>,
        trace_id: Option<String>,
        span_id: Option<String>,
    ) -> Self {
        let mut t: Vec<(String, Value)> = tags
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        if let Some(e) = environment {
            t.retain(|(k, _)| k != "environment");
            t.push(("environment".into(), Value::String(e)));
        }
        Enricher {
            tags: t,
            trace_id,
            span_id,
        }
    }

    pub fn apply(&self, r: &mut Record, ev: &Event) {
        for (k, v) in &self.tags {
            r.metadata.insert(k.clone(), v.clone());
        }
        if r.trace_id.is_none() && self.trace_id.is_some() {
            r.trace_id = self.trace_id.clone();
            if r.span_id.is_none() {
                r.span_id = self.span_id.clone();
            }
        }
        if ev.truncated {
            r.metadata.insert("_truncated".into(), Value::Bool(true));
        }
    }
}

/// Trace and parent span ids from a W3C `traceparent` value
/// (`00-<32 hex trace>-<16 hex span>-<flags>`).
pub fn parse_traceparent(v: &str) -> Option<(String, String)> {
    let mut parts = v.trim().split('-');
    let (_ver, trace, span) = (parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if hex(trace, 32) && hex(span, 16) && trace.bytes().any(|b| b != b'0') {
        Some((trace.to_ascii_lowercase(), span.to_ascii_lowercase()))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_is_read() {
        assert_eq!(
            parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            Some((
                "4bf92f3577b34da6a3ce929d0e0e4736".into(),
                "00f067aa0ba902b7".into()
            ))
        );
        assert_eq!(parse_traceparent("00-000-00f067aa0ba902b7-01"), None);
    }

    #[test]
    fn tags_env_and_truncation_land_in_metadata() {
        let e = Enricher::new(
            [("team".to_string(), "pay".to_string())],
            Some("prod".into()),
            Some("t1".into()),
            None,
        );
        let mut r = Record::default();
        e.apply(
            &mut r,
            &Event {
                text: "x".into(),
                truncated: true,
                invalid_utf8: false,
            },
        );
        assert_eq!(r.metadata["team"], "pay");
        assert_eq!(r.metadata["environment"], "prod");
        assert_eq!(r.metadata["_truncated"], true);
        assert_eq!(r.trace_id.as_deref(), Some("t1"));
    }
}
