//! The metric log `metrics.jsonl`: one JSON object per logged step.

use crate::task::Metrics;
use nmfnet_datasets::io::atomic_write;
use std::path::Path;

pub(crate) fn metrics_json(step: usize, m: &Metrics, seconds: Option<f64>) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    obj.insert("step".into(), step.into());
    if let Some(s) = seconds.and_then(serde_json::Number::from_f64) {
        // Training seconds so far (all calls), for curves against time.
        obj.insert("seconds".into(), serde_json::Value::Number(s));
    }
    for (k, v) in m {
        obj.insert(
            k.clone(),
            serde_json::Number::from_f64(*v)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
        );
    }
    serde_json::Value::Object(obj)
}

/// Keeps the log lines whose `step` is below `steps_done`.
pub(crate) fn truncate_log(path: &Path, steps_done: usize) -> std::io::Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let kept: String = text
        .lines()
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("step").and_then(|s| s.as_u64()))
                .is_some_and(|s| (s as usize) < steps_done)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    atomic_write(path, kept.as_bytes()).map_err(|e| std::io::Error::other(e.to_string()))
}
