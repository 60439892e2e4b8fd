//! The listing of HotSpot's string table (`VM.stringtable -verbose`, format
//! 1.1, the same on JDK 17, 21 and 25), parsed for the capture's test of
//! which strings are interned (`InternedStrings`, spec/semantics.md §2.2):
//!
//! ```text
//! VERSION: 1.1
//! 5: hello
//! 3: a\x00b            (modified UTF-8 bytes; \t \r \n \\ and \xHH escapes)
//! # Shared strings:     (JDK 25: section headers)
//! ```
//!
//! Parsed here rather than in Java: at a checkpoint taken soon after start the
//! Java parser was hot enough for C2 to compile it (42 ms of the one C2
//! thread on a 2-core machine, 3,900 entries) right when the heap walk's own
//! methods waited in the same queue.

/// The strings of a listing as UTF-16, or None if it does not have the
/// expected format (the capture then tests every string exactly).
pub fn parse_listing(dump: &str) -> Option<Vec<Vec<u16>>> {
    let mut lines = dump.split('\n');
    if !lines.next()?.starts_with("VERSION: 1.1") {
        return None;
    }
    let mut strings = Vec::new();
    let mut bytes = Vec::new();
    for line in lines {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (length, text) = line.split_once(": ")?;
        if length.is_empty() || !length.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let length: usize = length.parse().ok()?;
        bytes.clear();
        unescape(text, &mut bytes)?;
        if bytes.len() != length {
            return None;
        }
        strings.push(decode_modified_utf8(&bytes)?);
    }
    Some(strings)
}

/// The bytes an entry's text stands for.
fn unescape(text: &str, out: &mut Vec<u8>) -> Option<()> {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            // The listing escapes every byte it does not print as itself.
            out.push(u8::try_from(u32::from(c)).ok().filter(|b| b.is_ascii())?);
            continue;
        }
        out.push(match chars.next()? {
            't' => b'\t',
            'r' => b'\r',
            'n' => b'\n',
            '\\' => b'\\',
            'x' => {
                let high = chars.next()?.to_digit(16)?;
                let low = chars.next()?.to_digit(16)?;
                (high * 16 + low) as u8
            }
            _ => return None,
        });
    }
    Some(())
}

/// JVM modified UTF-8 (NUL as C0 80, characters above U+FFFF as surrogate
/// pairs of three bytes each) to UTF-16; None if malformed.
fn decode_modified_utf8(bytes: &[u8]) -> Option<Vec<u16>> {
    let mut units = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let continuation = |at: usize| bytes.get(at).filter(|b| *b & 0xC0 == 0x80).map(|b| u16::from(b & 0x3F));
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 && b != 0 {
            units.push(u16::from(b));
            i += 1;
        } else if b & 0xE0 == 0xC0 {
            units.push(u16::from(b & 0x1F) << 6 | continuation(i + 1)?);
            i += 2;
        } else if b & 0xF0 == 0xE0 {
            units.push(u16::from(b & 0x0F) << 12 | continuation(i + 1)? << 6 | continuation(i + 2)?);
            i += 3;
        } else {
            return None;
        }
    }
    Some(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn entries_escapes_and_section_headers() {
        let dump = "VERSION: 1.1\n5: hello\n0: \n4: a\\tb\\\\\n2: \\xc0\\x80\n# Shared strings:\n\n6: \\xd0\\xbb\\xd0\\xb8\\xd1\\x82\n6: \\xed\\xa0\\xbd\\xed\\xb8\\x80\n";
        let strings = parse_listing(dump).unwrap();
        assert_eq!(
            strings,
            vec![utf16("hello"), utf16(""), utf16("a\tb\\"), vec![0], utf16("лит"), utf16("😀")]
        );
    }

    #[test]
    fn a_lone_surrogate_is_kept() {
        assert_eq!(parse_listing("VERSION: 1.1\n3: \\xed\\xa0\\xbd").unwrap(), vec![vec![0xD83D]]);
    }

    #[test]
    fn anything_unexpected_is_no_listing() {
        for bad in [
            "",
            "VERSION: 1.0\n1: a",
            "VERSION: 1.1\n2: a",
            "VERSION: 1.1\nx: a",
            "VERSION: 1.1\n-1: a",
            "VERSION: 1.1\n1 a",
            "VERSION: 1.1\n1: \\q",
            "VERSION: 1.1\n1: \\x4",
            "VERSION: 1.1\n1: \\xzz",
            "VERSION: 1.1\n1: \\",
            "VERSION: 1.1\n2: é",
            "VERSION: 1.1\n1: \\x80",
            "VERSION: 1.1\n1: \\xc0",
            "VERSION: 1.1\n2: \\xc0\\x41",
            "VERSION: 1.1\n1: \\x00",
            "VERSION: 1.1\n4: \\xf0\\x9f\\x98\\x80",
        ] {
            assert_eq!(parse_listing(bad), None, "{bad:?}");
        }
    }
}
