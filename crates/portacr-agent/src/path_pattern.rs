//! `checkpointTo` path patterns with the placeholders of JDK-8367975.
//!
//! A pattern is parsed once when the agent loads ([`PathPattern::parse`]) so
//! that a typo is reported before the application runs, and expanded at each
//! checkpoint ([`PathPattern::expand`]) from a [`PatternContext`] that holds
//! the facts of that moment. `spec/agent-options.md` is the user-facing
//! description; keep the two in step.

use std::fmt::Write as _;

/// Widths larger than this are refused: a path component longer than a
/// filesystem allows is certainly a typo, and it bounds the allocation.
pub const MAX_PLACEHOLDER_WIDTH: usize = 64;

/// One placeholder of a `checkpointTo` pattern (the letter after `%`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `%a`: CPU architecture, `x86_64` or `aarch64`.
    Arch,
    /// `%f`: CPU feature bits in lower-case hex (numeric: takes a width).
    CpuFeatures,
    /// `%u`: the image's random UUID v4.
    Uuid,
    /// `%t`: checkpoint time, ISO-8601 basic UTC (`20250909T141711Z`).
    CheckpointTime,
    /// `%T`: checkpoint time, epoch seconds.
    CheckpointEpoch,
    /// `%b`: process boot time, ISO-8601 basic UTC.
    BootTime,
    /// `%B`: process boot time, epoch seconds.
    BootEpoch,
    /// `%r`: last restore time (boot time in generation 1), ISO-8601 basic UTC.
    RestoreTime,
    /// `%R`: last restore time, epoch seconds.
    RestoreEpoch,
    /// `%p`: process id.
    Pid,
    /// `%c`: number of CPUs available to the JVM.
    CpuCount,
    /// `%m`: maximum heap size in its largest exact unit (`512M`, `2G`).
    MaxHeap,
    /// `%g`: the checkpoint generation (1 for the first checkpoint).
    Generation,
}

impl Placeholder {
    fn from_letter(letter: char) -> Option<Placeholder> {
        Some(match letter {
            'a' => Placeholder::Arch,
            'f' => Placeholder::CpuFeatures,
            'u' => Placeholder::Uuid,
            't' => Placeholder::CheckpointTime,
            'T' => Placeholder::CheckpointEpoch,
            'b' => Placeholder::BootTime,
            'B' => Placeholder::BootEpoch,
            'r' => Placeholder::RestoreTime,
            'R' => Placeholder::RestoreEpoch,
            'p' => Placeholder::Pid,
            'c' => Placeholder::CpuCount,
            'm' => Placeholder::MaxHeap,
            'g' => Placeholder::Generation,
            _ => return None,
        })
    }

    /// Numeric placeholders accept a zero-padded width (`%03g`). `%f` counts
    /// as numeric so that `%016f` gives a fixed-length feature string.
    fn is_numeric(self) -> bool {
        matches!(
            self,
            Placeholder::CpuFeatures
                | Placeholder::CheckpointEpoch
                | Placeholder::BootEpoch
                | Placeholder::RestoreEpoch
                | Placeholder::Pid
                | Placeholder::CpuCount
                | Placeholder::Generation
        )
    }
}

/// A piece of a parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternPart {
    /// Text copied as is (`%%` already turned into `%`).
    Literal(String),
    /// A placeholder, with the zero-padded minimum width if one was given.
    Placeholder {
        placeholder: Placeholder,
        width: Option<usize>,
    },
}

/// Why a pattern was refused. `offset` is the 0-based character position of
/// the `%` that starts the bad placeholder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    #[error("unknown placeholder '%{text}' at offset {offset} (known: %% %a %f %u %t %T %b %B %r %R %p %c %m %g)")]
    UnknownPlaceholder { text: String, offset: usize },
    #[error("dangling '%' at offset {offset} (write %% for a percent sign)")]
    DanglingPercent { offset: usize },
    #[error(
        "placeholder '%{text}' at offset {offset} takes no width (only %f %T %B %R %p %c %g do)"
    )]
    WidthNotAllowed { text: String, offset: usize },
    #[error(
        "width of placeholder '%{text}' at offset {offset} is larger than {MAX_PLACEHOLDER_WIDTH}"
    )]
    WidthTooLarge { text: String, offset: usize },
    #[error("pattern is empty")]
    Empty,
}

/// The facts a pattern is expanded from, gathered at checkpoint time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternContext {
    pub arch: String,
    pub cpu_features: u64,
    pub uuid: String,
    pub checkpoint_time_ms: i64,
    pub boot_time_ms: i64,
    pub restore_time_ms: i64,
    pub pid: u32,
    pub cpu_count: u32,
    pub max_heap_bytes: u64,
    pub generation: u32,
}

/// A parsed `checkpointTo` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    source: String,
    parts: Vec<PatternPart>,
}

impl PathPattern {
    /// Parses `source`, refusing unknown placeholders, a `%` at the end and
    /// widths on non-numeric placeholders.
    pub fn parse(source: &str) -> Result<PathPattern, PatternError> {
        if source.is_empty() {
            return Err(PatternError::Empty);
        }
        let chars: Vec<char> = source.chars().collect();
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != '%' {
                literal.push(chars[i]);
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            let digits_start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let digits: String = chars[digits_start..i].iter().collect();
            let Some(&letter) = chars.get(i) else {
                // `%` or `%03` at the very end.
                return Err(PatternError::DanglingPercent { offset: start });
            };
            i += 1;
            let text = format!("{digits}{letter}");
            if letter == '%' && digits.is_empty() {
                literal.push('%');
                continue;
            }
            let placeholder =
                Placeholder::from_letter(letter).ok_or(PatternError::UnknownPlaceholder {
                    text: text.clone(),
                    offset: start,
                })?;
            let width = if digits.is_empty() {
                None
            } else if !placeholder.is_numeric() {
                return Err(PatternError::WidthNotAllowed {
                    text,
                    offset: start,
                });
            } else {
                match digits.parse::<usize>() {
                    Ok(w) if w <= MAX_PLACEHOLDER_WIDTH => Some(w),
                    _ => {
                        return Err(PatternError::WidthTooLarge {
                            text,
                            offset: start,
                        })
                    }
                }
            };
            if !literal.is_empty() {
                parts.push(PatternPart::Literal(std::mem::take(&mut literal)));
            }
            parts.push(PatternPart::Placeholder { placeholder, width });
        }
        if !literal.is_empty() {
            parts.push(PatternPart::Literal(literal));
        }
        Ok(PathPattern {
            source: source.to_owned(),
            parts,
        })
    }

    /// The pattern as the user wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn parts(&self) -> &[PatternPart] {
        &self.parts
    }

    /// Expands the pattern with the facts of one checkpoint.
    pub fn expand(&self, context: &PatternContext) -> String {
        let mut out = String::with_capacity(self.source.len() + 32);
        for part in &self.parts {
            match part {
                PatternPart::Literal(text) => out.push_str(text),
                PatternPart::Placeholder { placeholder, width } => {
                    expand_placeholder(&mut out, *placeholder, width.unwrap_or(0), context)
                }
            }
        }
        out
    }
}

fn expand_placeholder(
    out: &mut String,
    placeholder: Placeholder,
    width: usize,
    context: &PatternContext,
) {
    // `write!` into a String cannot fail; the results are ignored on purpose.
    let _ = match placeholder {
        Placeholder::Arch => write!(out, "{}", context.arch),
        Placeholder::CpuFeatures => write!(out, "{:0width$x}", context.cpu_features),
        Placeholder::Uuid => write!(out, "{}", context.uuid),
        Placeholder::CheckpointTime => {
            write!(out, "{}", iso8601_basic_utc(context.checkpoint_time_ms))
        }
        Placeholder::CheckpointEpoch => write!(
            out,
            "{:0width$}",
            context.checkpoint_time_ms.div_euclid(1000)
        ),
        Placeholder::BootTime => write!(out, "{}", iso8601_basic_utc(context.boot_time_ms)),
        Placeholder::BootEpoch => write!(out, "{:0width$}", context.boot_time_ms.div_euclid(1000)),
        Placeholder::RestoreTime => write!(out, "{}", iso8601_basic_utc(context.restore_time_ms)),
        Placeholder::RestoreEpoch => {
            write!(out, "{:0width$}", context.restore_time_ms.div_euclid(1000))
        }
        Placeholder::Pid => write!(out, "{:0width$}", context.pid),
        Placeholder::CpuCount => write!(out, "{:0width$}", context.cpu_count),
        Placeholder::MaxHeap => write!(out, "{}", heap_size_text(context.max_heap_bytes)),
        Placeholder::Generation => write!(out, "{:0width$}", context.generation),
    };
}

/// `512M`, `2G`, `1536K`: the largest unit that divides the size exactly,
/// plain bytes when none does (as -Xmx would accept it back).
#[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87; the workspace allows 1.85
pub fn heap_size_text(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
    for (size, unit) in UNITS {
        if bytes != 0 && bytes % size == 0 {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

/// Epoch milliseconds as ISO-8601 basic format in UTC, `20250909T141711Z`
/// (whole seconds; the fraction is dropped).
pub fn iso8601_basic_utc(epoch_ms: i64) -> String {
    let seconds = epoch_ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01, computed with
/// 400-year eras (146097 days each) so that leap rules need no tables.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468; // days since 0000-03-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> PatternContext {
        PatternContext {
            arch: "x86_64".into(),
            cpu_features: 0xbfeb_fbff,
            uuid: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            // 2025-09-09T14:17:11.500Z
            checkpoint_time_ms: 1_757_427_431_500,
            // 2025-09-09T14:00:00Z
            boot_time_ms: 1_757_426_400_000,
            // 2025-09-09T14:05:00Z
            restore_time_ms: 1_757_426_700_000,
            pid: 4242,
            cpu_count: 2,
            max_heap_bytes: 512 << 20,
            generation: 3,
        }
    }

    fn expand(pattern: &str) -> String {
        PathPattern::parse(pattern).unwrap().expand(&context())
    }

    #[test]
    fn literal_only() {
        assert_eq!(expand("/tmp/img"), "/tmp/img");
    }

    #[test]
    fn percent_sign() {
        assert_eq!(expand("/tmp/100%%_%%"), "/tmp/100%_%");
    }

    #[test]
    fn every_placeholder() {
        assert_eq!(expand("%a"), "x86_64");
        assert_eq!(expand("%f"), "bfebfbff");
        assert_eq!(expand("%u"), "0f8fad5b-d9cb-469f-a165-70867728950e");
        assert_eq!(expand("%t"), "20250909T141711Z");
        assert_eq!(expand("%T"), "1757427431");
        assert_eq!(expand("%b"), "20250909T140000Z");
        assert_eq!(expand("%B"), "1757426400");
        assert_eq!(expand("%r"), "20250909T140500Z");
        assert_eq!(expand("%R"), "1757426700");
        assert_eq!(expand("%p"), "4242");
        assert_eq!(expand("%c"), "2");
        assert_eq!(expand("%m"), "512M");
        assert_eq!(expand("%g"), "3");
    }

    #[test]
    fn mixed_pattern() {
        assert_eq!(
            expand("/tmp/img_%a_%t/gen%03g-%p"),
            "/tmp/img_x86_64_20250909T141711Z/gen003-4242"
        );
    }

    #[test]
    fn widths_pad_with_zeros() {
        assert_eq!(expand("%03g"), "003");
        assert_eq!(expand("%3g"), "003");
        assert_eq!(expand("%1g"), "3");
        assert_eq!(expand("%08p"), "00004242");
        assert_eq!(expand("%016f"), "00000000bfebfbff");
        assert_eq!(expand("%04c"), "0002");
        assert_eq!(expand("%012T"), "001757427431");
        assert_eq!(expand("%012B%012R"), "001757426400001757426700");
        // A width smaller than the number never truncates it.
        assert_eq!(expand("%02p"), "4242");
    }

    #[test]
    fn heap_units() {
        assert_eq!(heap_size_text(2 << 30), "2G");
        assert_eq!(heap_size_text(512 << 20), "512M");
        assert_eq!(heap_size_text(1536 << 20), "1536M");
        assert_eq!(heap_size_text(1536 << 10), "1536K");
        assert_eq!(heap_size_text(1000), "1000");
        assert_eq!(heap_size_text(0), "0");
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601_basic_utc(0), "19700101T000000Z");
        assert_eq!(iso8601_basic_utc(951_782_400_000), "20000229T000000Z");
        assert_eq!(iso8601_basic_utc(4_102_444_799_000), "20991231T235959Z");
        assert_eq!(iso8601_basic_utc(-1000), "19691231T235959Z");
        assert_eq!(iso8601_basic_utc(1_709_164_800_000), "20240229T000000Z");
    }

    #[test]
    fn unknown_placeholder_is_named_with_offset() {
        let err = PathPattern::parse("/tmp/x_%q").unwrap_err();
        assert_eq!(
            err,
            PatternError::UnknownPlaceholder {
                text: "q".into(),
                offset: 7
            }
        );
        assert!(
            err.to_string()
                .starts_with("unknown placeholder '%q' at offset 7"),
            "{err}"
        );
        let err = PathPattern::parse("%03z").unwrap_err();
        assert_eq!(
            err,
            PatternError::UnknownPlaceholder {
                text: "03z".into(),
                offset: 0
            }
        );
    }

    #[test]
    fn dangling_percent() {
        assert_eq!(
            PathPattern::parse("/tmp/x%").unwrap_err(),
            PatternError::DanglingPercent { offset: 6 }
        );
        assert_eq!(
            PathPattern::parse("/tmp/x%03").unwrap_err(),
            PatternError::DanglingPercent { offset: 6 }
        );
    }

    #[test]
    fn width_on_non_numeric_is_refused() {
        for letter in ['a', 'u', 't', 'b', 'r', 'm'] {
            let pattern = format!("img%02{letter}");
            assert_eq!(
                PathPattern::parse(&pattern).unwrap_err(),
                PatternError::WidthNotAllowed {
                    text: format!("02{letter}"),
                    offset: 3
                },
                "{pattern}"
            );
        }
        assert!(matches!(
            PathPattern::parse("%02%").unwrap_err(),
            PatternError::UnknownPlaceholder { .. }
        ));
    }

    #[test]
    fn absurd_width_is_refused() {
        assert!(matches!(
            PathPattern::parse("%065g").unwrap_err(),
            PatternError::WidthTooLarge { offset: 0, .. }
        ));
        assert!(matches!(
            PathPattern::parse("%99999999999999999999999g").unwrap_err(),
            PatternError::WidthTooLarge { .. }
        ));
        assert_eq!(expand("%064g").len(), 64);
    }

    #[test]
    fn empty_pattern_is_refused() {
        assert_eq!(PathPattern::parse("").unwrap_err(), PatternError::Empty);
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let err = PathPattern::parse("/tmp/é_%x").unwrap_err();
        assert_eq!(
            err,
            PatternError::UnknownPlaceholder {
                text: "x".into(),
                offset: 7
            }
        );
    }
}
