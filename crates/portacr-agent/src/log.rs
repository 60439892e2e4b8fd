//! Diagnostics of the agent: one line per message, `portacr: <level>: text`,
//! to stderr or to the `logFile=` file.
//!
//! Logging runs inside JVM callbacks and natives, so it must never panic or
//! fail the caller: I/O errors are ignored and a poisoned lock is taken over.

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

/// Levels, most severe first; a message is written when its level is at most
/// the configured one. The numbers are those of `io.portacr.Native.log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum LogLevel {
    Off = 0,
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl LogLevel {
    pub fn from_name(name: &str) -> Option<LogLevel> {
        Some(match name {
            "off" => LogLevel::Off,
            "error" => LogLevel::Error,
            "warn" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            "trace" => LogLevel::Trace,
            _ => return None,
        })
    }

    /// The level of `Native.log(int level, ...)`; out-of-range numbers are
    /// clamped rather than refused so that a log call never throws.
    pub fn from_number(level: i32) -> LogLevel {
        match level {
            i32::MIN..=1 => LogLevel::Error,
            2 => LogLevel::Warn,
            3 => LogLevel::Info,
            4 => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Off => "off",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

static MAX_LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Warn as u8);
static LOG_FILE: Mutex<Option<File>> = Mutex::new(None);

/// Sets the level and destination. Called once from `Agent_OnLoad`; the
/// file is appended to so that a restored process continues the log of the
/// process it came from.
pub fn configure(level: LogLevel, file: Option<&Path>) -> std::io::Result<()> {
    if let Some(path) = file {
        let opened = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        *LOG_FILE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(opened);
    }
    MAX_LEVEL.store(level as u8, Ordering::Relaxed);
    Ok(())
}

/// Whether a message of this level would be written (to skip formatting
/// expensive messages).
pub fn enabled(level: LogLevel) -> bool {
    level != LogLevel::Off && level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
}

/// Writes one line if the level lets it through. Newlines inside the
/// message are replaced so that every record stays one line.
pub fn write(level: LogLevel, message: fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let line = format_line(level, message);
    let mut file = LOG_FILE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // One write_all per line so that lines from several threads do not mix.
    let _ = match file.as_mut() {
        Some(file) => file.write_all(line.as_bytes()),
        None => std::io::stderr().lock().write_all(line.as_bytes()),
    };
}

fn format_line(level: LogLevel, message: fmt::Arguments<'_>) -> String {
    let text = message.to_string().replace(['\n', '\r'], " ");
    format!("portacr: {}: {}\n", level.name(), text)
}

#[macro_export]
macro_rules! log_error { ($($arg:tt)*) => { $crate::log::write($crate::log::LogLevel::Error, format_args!($($arg)*)) } }
#[macro_export]
macro_rules! log_warn { ($($arg:tt)*) => { $crate::log::write($crate::log::LogLevel::Warn, format_args!($($arg)*)) } }
#[macro_export]
macro_rules! log_info { ($($arg:tt)*) => { $crate::log::write($crate::log::LogLevel::Info, format_args!($($arg)*)) } }
#[macro_export]
macro_rules! log_debug { ($($arg:tt)*) => { $crate::log::write($crate::log::LogLevel::Debug, format_args!($($arg)*)) } }
#[macro_export]
macro_rules! log_trace { ($($arg:tt)*) => { $crate::log::write($crate::log::LogLevel::Trace, format_args!($($arg)*)) } }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for level in [
            LogLevel::Off,
            LogLevel::Error,
            LogLevel::Warn,
            LogLevel::Info,
            LogLevel::Debug,
            LogLevel::Trace,
        ] {
            assert_eq!(LogLevel::from_name(level.name()), Some(level));
        }
        assert_eq!(LogLevel::from_name("WARN"), None);
    }

    #[test]
    fn numbers_clamp() {
        assert_eq!(LogLevel::from_number(1), LogLevel::Error);
        assert_eq!(LogLevel::from_number(-5), LogLevel::Error);
        assert_eq!(LogLevel::from_number(3), LogLevel::Info);
        assert_eq!(LogLevel::from_number(99), LogLevel::Trace);
    }

    #[test]
    fn line_format_is_one_line() {
        assert_eq!(
            format_line(LogLevel::Warn, format_args!("a\nb {}", 1)),
            "portacr: warn: a b 1\n"
        );
    }

    // The level filter and the file sink share global state, so they are
    // checked in one test. Other unit tests of this crate run in parallel
    // threads and may log while the sink is set, so only this test's own
    // lines (marked with a token) are compared.
    #[test]
    fn filter_and_file_sink() {
        const TOKEN: &str = "filter-and-file-sink";
        let dir = std::env::temp_dir().join(format!("portacr-log-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("agent.log");
        let _ = std::fs::remove_file(&path);
        let own_lines = || -> Vec<String> {
            std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .filter(|line| line.contains(TOKEN))
                .map(str::to_string)
                .collect()
        };
        configure(LogLevel::Info, Some(&path)).unwrap();
        assert!(enabled(LogLevel::Info));
        assert!(!enabled(LogLevel::Debug));
        assert!(!enabled(LogLevel::Off));
        log_info!("{TOKEN} kept {}", 1);
        log_debug!("{TOKEN} dropped");
        log_error!("{TOKEN} kept too");
        assert_eq!(
            own_lines(),
            [
                format!("portacr: info: {TOKEN} kept 1"),
                format!("portacr: error: {TOKEN} kept too")
            ]
        );
        configure(LogLevel::Off, None).unwrap();
        log_error!("{TOKEN} dropped when off");
        assert_eq!(own_lines().len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
