//! Agent options: the text after `=` in `-agentpath:libportacr.so=...`.
//!
//! `key=value` pairs separated by commas. Every mistake (unknown key,
//! duplicate key, bad value) is an [`OptionsError`]; the
//! agent prints its one-line message and the JVM refuses to start, because a
//! checkpoint that silently goes nowhere is worse than no start at all.
//! `spec/agent-options.md` is the user-facing description.

use std::path::PathBuf;
use std::time::Duration;

use crate::log::LogLevel;
use crate::path_pattern::{PathPattern, PatternError};

/// The keys in the order they are listed in error messages.
pub const KNOWN_KEYS: [&str; 7] = [
    "checkpointTo",
    "restoreFrom",
    "keepRunning",
    "log",
    "logFile",
    "compress",
    "warmupAfter",
];

/// When the capture's code is compiled ahead of the first checkpoint, by
/// default: this long after the JVM started, past the burst of a typical
/// program's own start-up compilation (spec/agent-options.md, `warmupAfter`).
pub const DEFAULT_WARMUP_AFTER: Duration = Duration::from_secs(3);
/// Longest `warmupAfter` accepted: one day.
pub const MAX_WARMUP_AFTER: Duration = Duration::from_secs(86_400);

/// zstd level used when `compress=` is absent: level 1 with the writer's
/// tuned match finder gives the size plain level 3 gives for less CPU
/// (spec/agent-options.md, `compress`).
pub const DEFAULT_COMPRESSION_LEVEL: i32 = 1;
/// zstd's fast levels go far below -7, but below it the ratio on heap data
/// is barely better than storing; 22 is zstd's maximum.
pub const MIN_COMPRESSION_LEVEL: i32 = -7;
pub const MAX_COMPRESSION_LEVEL: i32 = 22;

/// The parsed, validated agent options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentOptions {
    /// Where checkpoints go; `None` means C/R is not configured.
    pub checkpoint_to: Option<PathPattern>,
    /// An image to restore instead of starting fresh.
    pub restore_from: Option<PathBuf>,
    /// After a checkpoint, continue instead of exiting with status 0.
    pub keep_running: bool,
    pub log_level: LogLevel,
    /// Diagnostics go here instead of stderr.
    pub log_file: Option<PathBuf>,
    /// zstd level: -7..=-1 (fast) or 1..=22.
    pub compression_level: i32,
    /// Delay after VMInit before the capture's warm-up runs in the
    /// background; `None` (`warmupAfter=never`): only at the checkpoint.
    pub warmup_after: Option<Duration>,
}

impl Default for AgentOptions {
    fn default() -> Self {
        AgentOptions {
            checkpoint_to: None,
            restore_from: None,
            keep_running: false,
            log_level: LogLevel::Warn,
            log_file: None,
            compression_level: DEFAULT_COMPRESSION_LEVEL,
            warmup_after: Some(DEFAULT_WARMUP_AFTER),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OptionsError {
    #[error("unknown agent option '{0}' (expected checkpointTo, restoreFrom, keepRunning, log, logFile, compress, warmupAfter)")]
    UnknownKey(String),
    #[error("agent option '{0}' is given twice")]
    DuplicateKey(String),
    #[error("agent option '{0}' has no value (expected key=value)")]
    MissingValue(String),
    #[error("empty agent option in '{0}' (options are key=value pairs separated by commas)")]
    EmptyItem(String),
    #[error("agent option {key}={value}: {reason}")]
    BadValue {
        key: &'static str,
        value: String,
        reason: String,
    },
    #[error("invalid checkpointTo pattern '{pattern}': {source}")]
    BadPattern {
        pattern: String,
        source: PatternError,
    },
}

impl AgentOptions {
    /// Parses the option string; `None` (no `=` after the library path) gives
    /// the defaults.
    pub fn parse(text: Option<&str>) -> Result<AgentOptions, OptionsError> {
        let mut options = AgentOptions::default();
        let Some(text) = text else { return Ok(options) };
        if text.is_empty() {
            return Ok(options);
        }
        let mut seen: Vec<&str> = Vec::new();
        for item in text.split(',') {
            if item.is_empty() {
                return Err(OptionsError::EmptyItem(text.to_owned()));
            }
            let Some((key, value)) = item.split_once('=') else {
                return Err(if KNOWN_KEYS.contains(&item) {
                    OptionsError::MissingValue(item.to_owned())
                } else {
                    OptionsError::UnknownKey(item.to_owned())
                });
            };
            let Some(&key) = KNOWN_KEYS.iter().find(|k| **k == key) else {
                return Err(OptionsError::UnknownKey(key.to_owned()));
            };
            if seen.contains(&key) {
                return Err(OptionsError::DuplicateKey(key.to_owned()));
            }
            seen.push(key);
            options.apply(key, value)?;
        }
        Ok(options)
    }

    fn apply(&mut self, key: &'static str, value: &str) -> Result<(), OptionsError> {
        let bad = |reason: &str| OptionsError::BadValue {
            key,
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        match key {
            "checkpointTo" => {
                let pattern =
                    PathPattern::parse(value).map_err(|source| OptionsError::BadPattern {
                        pattern: value.to_owned(),
                        source,
                    })?;
                self.checkpoint_to = Some(pattern);
            }
            "restoreFrom" => {
                if value.is_empty() {
                    return Err(bad("expected an image directory"));
                }
                self.restore_from = Some(PathBuf::from(value));
            }
            "keepRunning" => {
                self.keep_running = match value {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("expected true or false")),
                }
            }
            "log" => {
                self.log_level = LogLevel::from_name(value)
                    .ok_or_else(|| bad("expected off, error, warn, info, debug or trace"))?;
            }
            "logFile" => {
                if value.is_empty() {
                    return Err(bad("expected a file path"));
                }
                self.log_file = Some(PathBuf::from(value));
            }
            "compress" => {
                let level: i32 = value
                    .parse()
                    .map_err(|_| bad("expected a zstd level, -7..=-1 or 1..=22"))?;
                if level == 0 || !(MIN_COMPRESSION_LEVEL..=MAX_COMPRESSION_LEVEL).contains(&level) {
                    return Err(bad("expected a zstd level, -7..=-1 or 1..=22"));
                }
                self.compression_level = level;
            }
            "warmupAfter" => {
                self.warmup_after = parse_warmup_after(value)
                    .ok_or_else(|| bad("expected never or a delay such as 3s or 500ms (at most 86400s)"))?;
            }
            _ => unreachable!("key {key} is one of KNOWN_KEYS"),
        }
        Ok(())
    }
}

/// `never` → `Some(None)`; `500ms`, `3s` → `Some(Some(delay))`; anything
/// else, or more than [`MAX_WARMUP_AFTER`] → `None`.
fn parse_warmup_after(value: &str) -> Option<Option<Duration>> {
    if value == "never" {
        return Some(None);
    }
    let (digits, unit_ms) = if let Some(d) = value.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = value.strip_suffix('s') {
        (d, 1000)
    } else {
        return None;
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let delay = Duration::from_millis(digits.parse::<u64>().ok()?.checked_mul(unit_ms)?);
    (delay <= MAX_WARMUP_AFTER).then_some(Some(delay))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AgentOptions, OptionsError> {
        AgentOptions::parse(Some(text))
    }

    #[test]
    fn defaults() {
        let options = AgentOptions::parse(None).unwrap();
        assert_eq!(options, AgentOptions::default());
        assert_eq!(parse("").unwrap(), AgentOptions::default());
        assert!(options.checkpoint_to.is_none());
        assert!(!options.keep_running);
        assert_eq!(options.log_level, LogLevel::Warn);
        assert_eq!(options.compression_level, 1);
        assert_eq!(options.warmup_after, Some(Duration::from_secs(3)));
    }

    #[test]
    fn warmup_after_values() {
        let after = |v: &str| parse(&format!("warmupAfter={v}")).map(|o| o.warmup_after);
        assert_eq!(after("never"), Ok(None));
        assert_eq!(after("0ms"), Ok(Some(Duration::ZERO)));
        assert_eq!(after("250ms"), Ok(Some(Duration::from_millis(250))));
        assert_eq!(after("10s"), Ok(Some(Duration::from_secs(10))));
        assert_eq!(after("86400s"), Ok(Some(Duration::from_secs(86_400))));
        for bad in ["", "3", "s", "ms", "-1s", "1.5s", "3m", "86401s", "99999999999999999999s", "NEVER", " 3s"] {
            assert_eq!(
                parse(&format!("warmupAfter={bad}")).unwrap_err().to_string(),
                format!("agent option warmupAfter={bad}: expected never or a delay such as 3s or 500ms (at most 86400s)"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn all_keys() {
        let options = parse(
            "checkpointTo=/tmp/img_%a,keepRunning=true,log=debug,logFile=/tmp/l.txt,compress=-3",
        )
        .unwrap();
        assert_eq!(
            options.checkpoint_to.as_ref().unwrap().source(),
            "/tmp/img_%a"
        );
        assert!(options.keep_running);
        assert_eq!(options.log_level, LogLevel::Debug);
        assert_eq!(options.log_file, Some(PathBuf::from("/tmp/l.txt")));
        assert_eq!(options.compression_level, -3);
        let options = parse("restoreFrom=/tmp/img,keepRunning=false,compress=22,log=off").unwrap();
        assert_eq!(options.restore_from, Some(PathBuf::from("/tmp/img")));
        assert_eq!(options.log_level, LogLevel::Off);
        assert_eq!(options.compression_level, 22);
    }

    #[test]
    fn value_may_contain_equals_sign() {
        let options = parse("checkpointTo=/tmp/a=b").unwrap();
        assert_eq!(options.checkpoint_to.unwrap().source(), "/tmp/a=b");
    }

    #[test]
    fn unknown_key_message() {
        let err = parse("chekpointTo=/tmp/x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown agent option 'chekpointTo' (expected checkpointTo, restoreFrom, keepRunning, log, logFile, compress, warmupAfter)"
        );
        assert_eq!(
            parse("verbose").unwrap_err(),
            OptionsError::UnknownKey("verbose".into())
        );
        // Keys are case-sensitive, like the JVM's own -XX options.
        assert_eq!(
            parse("keeprunning=true").unwrap_err(),
            OptionsError::UnknownKey("keeprunning".into())
        );
    }

    #[test]
    fn duplicate_key() {
        let err = parse("log=info,compress=3,log=debug").unwrap_err();
        assert_eq!(err.to_string(), "agent option 'log' is given twice");
    }

    #[test]
    fn missing_value_and_empty_items() {
        assert_eq!(
            parse("keepRunning").unwrap_err(),
            OptionsError::MissingValue("keepRunning".into())
        );
        assert!(matches!(
            parse("log=info,,compress=3").unwrap_err(),
            OptionsError::EmptyItem(_)
        ));
        assert!(matches!(
            parse("log=info,").unwrap_err(),
            OptionsError::EmptyItem(_)
        ));
    }

    #[test]
    fn bad_values() {
        assert_eq!(
            parse("keepRunning=yes").unwrap_err().to_string(),
            "agent option keepRunning=yes: expected true or false"
        );
        assert_eq!(
            parse("log=verbose").unwrap_err().to_string(),
            "agent option log=verbose: expected off, error, warn, info, debug or trace"
        );
        for level in ["0", "23", "-8", "x", "", "1.5"] {
            assert!(
                matches!(
                    parse(&format!("compress={level}")).unwrap_err(),
                    OptionsError::BadValue {
                        key: "compress",
                        ..
                    }
                ),
                "{level}"
            );
        }
        assert!(matches!(
            parse("logFile=").unwrap_err(),
            OptionsError::BadValue { key: "logFile", .. }
        ));
        assert!(matches!(
            parse("restoreFrom=").unwrap_err(),
            OptionsError::BadValue {
                key: "restoreFrom",
                ..
            }
        ));
    }

    #[test]
    fn bad_pattern_names_placeholder() {
        let err = parse("checkpointTo=/tmp/img_%q").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid checkpointTo pattern '/tmp/img_%q': unknown placeholder '%q' at offset 9 \
             (known: %% %a %f %u %t %T %b %B %r %R %p %c %m %g)"
        );
        assert!(matches!(
            parse("checkpointTo=").unwrap_err(),
            OptionsError::BadPattern { .. }
        ));
    }

    #[test]
    fn restored_program_may_checkpoint_again() {
        // A restored JVM can checkpoint again (generation = image's + 1).
        let options = parse("checkpointTo=/a/%g,restoreFrom=/b").unwrap();
        assert_eq!(options.checkpoint_to.unwrap().source(), "/a/%g");
        assert_eq!(options.restore_from, Some(PathBuf::from("/b")));
    }
}
