//! Reading what earlier cells left behind.

use serde_json::Value;
use std::path::Path;

/// The JSON in `path`, or None when it is missing or unreadable.
pub fn read_json(path: &Path) -> Option<Value> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
}
