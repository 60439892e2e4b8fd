//! Reading `-XX:+PrintCompilation` output: the tests that need a frame to be
//! compiled (C2, OSR) at the checkpoint or after the restore prove it from the
//! VM's own log rather than assuming it.

/// One line of `-XX:+PrintCompilation` for a given method:
/// `<ms> <id> <flags> <tier> <method> [@ <bci>] (<size> bytes) [made not entrant]`.
/// JDK 17 pads the columns, JDK 25 does not; `%` among the flags marks an OSR
/// compilation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compilation {
    pub id: String,
    pub osr: bool,
    pub tier: u8,
    pub made_not_entrant: bool,
}

impl Compilation {
    /// The line's compilation of `method` (`pkg.Class::name`), if the line is one.
    pub fn parse(line: &str, method: &str) -> Option<Compilation> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| *w == method)?;
        let columns = &words[..at];
        if columns.len() < 3 {
            return None;
        }
        // The tier is the last column before the method, a single digit.
        let tier = columns.last().filter(|w| w.len() == 1)?.parse::<u8>().ok()?;
        let id = columns.get(1)?.to_string();
        Some(Compilation {
            id,
            osr: columns[2..columns.len() - 1].contains(&"%"),
            tier,
            made_not_entrant: line.contains("made not entrant"),
        })
    }
}

/// Every compilation of `method` in `output`, in order.
pub fn compilations<'a>(output: &'a str, method: &'a str) -> impl Iterator<Item = Compilation> + 'a {
    output.lines().filter_map(move |line| Compilation::parse(line, method))
}

/// The compile id of a C2 (tier 4) compilation of `method` (an OSR one when
/// `osr`) printed before the first line containing `before` and not made not
/// entrant before it either: the code that was running at that line.
///
/// The VM writes a PrintCompilation line in several writes, so a program
/// writing to the same stream can split it; `before` is matched anywhere in a
/// line for that reason.
pub fn live_c2_before(output: &str, method: &str, osr: bool, before: &str) -> Option<String> {
    let mut live: Option<String> = None;
    for line in output.lines() {
        if line.contains(before) {
            return live;
        }
        let Some(c) = Compilation::parse(line, method) else { continue };
        if c.made_not_entrant {
            if live.as_deref() == Some(c.id.as_str()) {
                live = None;
            }
        } else if c.osr == osr && c.tier == 4 {
            live = Some(c.id);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const OSR: &str = "osrloop.Main::main";

    #[test]
    fn reads_padded_and_unpadded_columns() {
        let jdk17 = "     66   34 %     4       osrloop.Main::main @ 6 (58 bytes)\ncheckpoint";
        let jdk25 = "93   50 %     4       osrloop.Main::main @ 6 (58 bytes)\ncheckpoint";
        assert_eq!(live_c2_before(jdk17, OSR, true, "checkpoint").as_deref(), Some("34"));
        assert_eq!(live_c2_before(jdk25, OSR, true, "checkpoint").as_deref(), Some("50"));
        assert_eq!(live_c2_before(jdk25, OSR, false, "checkpoint"), None);
    }

    #[test]
    fn tier_3_and_deoptimized_code_do_not_count() {
        let tier3 = "66   32 %     3       osrloop.Main::main @ 6 (58 bytes)\ncheckpoint";
        assert_eq!(live_c2_before(tier3, OSR, true, "checkpoint"), None);
        let deoptimized = "93   50 %     4       osrloop.Main::main @ 6 (58 bytes)\n\
                           95   50 %     4       osrloop.Main::main @ 6 (58 bytes)   made not entrant\ncheckpoint";
        assert_eq!(live_c2_before(deoptimized, OSR, true, "checkpoint"), None);
    }

    #[test]
    fn normal_compilations_and_other_methods() {
        let log = "120   61    b  4       scalarframe.Main::work (40 bytes)\n\
                   121   62       4       scalarframe.Main::workHelper (12 bytes)\nat";
        assert_eq!(live_c2_before(log, "scalarframe.Main::work", false, "at").as_deref(), Some("61"));
        assert_eq!(compilations(log, "scalarframe.Main::workHelper").count(), 1);
        assert_eq!(compilations(log, "scalarframe.Main::other").count(), 0);
    }
}
