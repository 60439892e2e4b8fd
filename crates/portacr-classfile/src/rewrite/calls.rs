//! Redirecting calls of one static method to another with the same
//! descriptor: a restored program's `System.nanoTime()` becomes
//! `io.portacr.restore.Clock.nanoTime()` (spec/restore.md §5).
//!
//! **Decision: the `Methodref` is patched, the code is not.** Every
//! `invokestatic` of the method names one `CONSTANT_Methodref` entry, and so
//! does a method reference (`System::nanoTime`, a `CONSTANT_MethodHandle` of
//! kind `REF_invokeStatic` an `invokedynamic` bootstrap takes). Pointing
//! that entry's `class_index` and `name_and_type_index` at new `Class` and
//! `NameAndType` entries redirects both, without walking any `Code`: no
//! instruction changes length or stack effect, so branch offsets, the
//! StackMapTable and every other attribute stay valid byte for byte. The
//! old `Class`/`NameAndType` entries stay (other members may use them). A
//! `Methodref` can only be used with static invocation when it names a
//! static method, and the replacement must be static with the same
//! descriptor, so the verifier sees the same types.

use super::pool::{constant_pool_layout, PoolBuilder};
use super::RewriteError;
use crate::class_file::ClassFile;
use crate::constant_pool::Constant;

/// A method named by owner (internal name), name and descriptor.
pub type MethodName<'a> = (&'a str, &'a str, &'a str);

/// `class_bytes` with every reference to the static method `from` (calls and
/// method handles) redirected to `to`, which must be a static method with the
/// same descriptor. A class that never names `from` is returned unchanged
/// (equal bytes: compare to tell). The input is never modified.
pub fn redirect_static_calls(
    class_bytes: &[u8],
    from: MethodName<'_>,
    to: MethodName<'_>,
) -> Result<Vec<u8>, RewriteError> {
    if from.2 != to.2 {
        return Err(RewriteError::Malformed {
            detail: format!(
                "cannot redirect {}.{}{} to {}.{}{}: descriptors differ",
                from.0, from.1, from.2, to.0, to.1, to.2
            ),
        });
    }
    // Most classes never name the method: its name must be a Utf8 entry of
    // the pool, so a class whose bytes lack it needs no parse at all.
    if !contains(class_bytes, from.1.as_bytes()) {
        return Ok(class_bytes.to_vec());
    }
    let class = ClassFile::parse(class_bytes)?;
    let pool = &class.constant_pool;
    let mut targets = Vec::new();
    for (index, constant) in pool.entries().iter().enumerate() {
        if !matches!(constant, Constant::MethodRef { .. }) {
            continue;
        }
        let member = pool.member_ref(index as u16)?;
        if (member.owner, member.name, member.descriptor) == from {
            targets.push(index);
        }
    }
    if targets.is_empty() {
        return Ok(class_bytes.to_vec());
    }
    let mut builder = PoolBuilder::new(pool);
    let class_index = builder.class(to.0)?;
    let name_index = builder.utf8(to.1)?;
    let descriptor_index = builder.utf8(to.2)?;
    // The NameAndType, reused when the pool has it; else appended after the
    // builder's entries (the builder makes them only as part of a Methodref).
    let existing = pool.entries().iter().position(|c| {
        matches!(c, Constant::NameAndType { name_index: n, descriptor_index: d }
            if *n == name_index && *d == descriptor_index)
    });
    let mut appended = builder.appended().to_vec();
    let mut count = builder.count() as usize;
    let name_and_type = match existing {
        Some(index) => index as u16,
        None => {
            if count + 1 > u16::MAX as usize {
                return Err(RewriteError::ConstantPoolFull);
            }
            appended.push(12);
            appended.extend_from_slice(&name_index.to_be_bytes());
            appended.extend_from_slice(&descriptor_index.to_be_bytes());
            count += 1;
            (count - 1) as u16
        }
    };
    let layout = constant_pool_layout(class_bytes)?;
    let (offsets, pool_end) = (layout.entry_offsets, layout.end);
    let mut out = Vec::with_capacity(class_bytes.len() + appended.len());
    out.extend_from_slice(&class_bytes[..8]);
    out.extend_from_slice(&(count as u16).to_be_bytes());
    out.extend_from_slice(&class_bytes[10..pool_end]);
    for index in targets {
        // A Methodref is tag, class_index, name_and_type_index (JVMS 4.4.2).
        let at = offsets[index];
        out[at + 1..at + 3].copy_from_slice(&class_index.to_be_bytes());
        out[at + 3..at + 5].copy_from_slice(&name_and_type.to_be_bytes());
    }
    out.extend_from_slice(&appended);
    out.extend_from_slice(&class_bytes[pool_end..]);
    Ok(out)
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytecode::{instructions, INVOKESTATIC};
    use std::path::{Path, PathBuf};
    use std::process::Command;

    const NANO_TIME: MethodName<'static> = ("java/lang/System", "nanoTime", "()J");
    const FAKE_CLOCK: MethodName<'static> = ("fake/Clock", "nanoTime", "()J");

    fn java_home() -> PathBuf {
        std::env::var_os("PORTACR_TEST_JDK")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/lib/jvm/java-17-openjdk-amd64"))
    }

    fn run(command: &mut Command) -> String {
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
        assert!(
            output.status.success(),
            "{command:?}: {}\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Compiles the program `Timed` (calls, a method reference, a loop
    /// with a StackMapTable, an interface's static method) and a
    /// `fake.Clock` whose `nanoTime()` returns 42 into a fresh directory.
    fn compile(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("portacr-calls-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src/fake")).unwrap();
        std::fs::write(
            dir.join("src/fake/Clock.java"),
            "package fake; public final class Clock { public static long nanoTime() { return 42; } }",
        )
        .unwrap();
        std::fs::write(
            dir.join("src/Timed.java"),
            r#"import java.util.function.LongSupplier;
public class Timed {
    interface Probe { static long read() { return System.nanoTime(); } }
    public static void main(String[] args) {
        long direct = System.nanoTime();
        LongSupplier ref = System::nanoTime;
        long sum = 0;
        for (int i = 0; i < 3; i++) sum += (i % 2 == 0) ? System.nanoTime() : Probe.read();
        long untouched = System.currentTimeMillis() > 0 ? 1 : 0;
        System.out.println(direct + " " + ref.getAsLong() + " " + sum + " " + untouched);
    }
}
"#,
        )
        .unwrap();
        let javac = java_home().join("bin/javac");
        run(Command::new(javac)
            .arg("-d")
            .arg(dir.join("classes"))
            .arg(dir.join("src/Timed.java"))
            .arg(dir.join("src/fake/Clock.java")));
        dir.join("classes")
    }

    fn invokestatic_targets(bytes: &[u8]) -> Vec<(String, String, String)> {
        let class = ClassFile::parse(bytes).unwrap();
        let mut out = Vec::new();
        for method in class.methods() {
            let Some(code) = method.code() else { continue };
            for item in instructions(&code.code) {
                let (bci, opcode) = item.unwrap();
                if opcode == INVOKESTATIC {
                    let at = bci as usize + 1;
                    let index = u16::from_be_bytes([code.code[at], code.code[at + 1]]);
                    let m = class.constant_pool.member_ref(index).unwrap();
                    out.push((
                        m.owner.to_owned(),
                        m.name.to_owned(),
                        m.descriptor.to_owned(),
                    ));
                }
            }
        }
        out
    }

    fn redirect_file(path: &Path) {
        let bytes = std::fs::read(path).unwrap();
        let rewritten = redirect_static_calls(&bytes, NANO_TIME, FAKE_CLOCK).unwrap();
        assert_ne!(rewritten, bytes, "{} names nanoTime", path.display());
        std::fs::write(path, rewritten).unwrap();
    }

    /// The redirected program verifies (`-Xverify:all`) and every nanoTime
    /// it reads, called directly, through `System::nanoTime` or from an
    /// interface's static method, is the fake clock's 42; other calls keep
    /// their target.
    #[test]
    fn redirected_program_reads_the_other_clock() {
        let classes = compile("run");
        let java = java_home().join("bin/java");
        let before = run(Command::new(&java).arg("-cp").arg(&classes).arg("Timed"));
        assert!(
            !before.starts_with("42 42 126 "),
            "the raw clock is not 42: {before}"
        );
        redirect_file(&classes.join("Timed.class"));
        redirect_file(&classes.join("Timed$Probe.class"));
        let after = run(Command::new(&java)
            .arg("-Xverify:all")
            .arg("-cp")
            .arg(&classes)
            .arg("Timed"));
        assert_eq!(after.trim(), "42 42 126 1");
    }

    #[test]
    fn only_the_named_method_is_redirected_and_the_rest_is_kept() {
        let classes = compile("bytes");
        let bytes = std::fs::read(classes.join("Timed.class")).unwrap();
        let rewritten = redirect_static_calls(&bytes, NANO_TIME, FAKE_CLOCK).unwrap();
        let calls_before = invokestatic_targets(&bytes);
        let calls_after = invokestatic_targets(&rewritten);
        assert_eq!(calls_before.len(), calls_after.len());
        let nano =
            |c: &(String, String, String)| (c.0.as_str(), c.1.as_str(), c.2.as_str()) == NANO_TIME;
        let fake =
            |c: &(String, String, String)| (c.0.as_str(), c.1.as_str(), c.2.as_str()) == FAKE_CLOCK;
        assert!(calls_before.iter().any(nano));
        assert!(!calls_after.iter().any(nano), "{calls_after:?}");
        for (b, a) in calls_before.iter().zip(&calls_after) {
            if nano(b) {
                assert!(fake(a), "{a:?}");
            } else {
                assert_eq!(a, b);
            }
        }
        // The code and everything after the pool is unchanged: only entries
        // were appended to the pool.
        let before = ClassFile::parse(&bytes).unwrap();
        let after = ClassFile::parse(&rewritten).unwrap();
        for (m, n) in before.methods().iter().zip(after.methods()) {
            assert_eq!(m.code().unwrap().code, n.code().unwrap().code, "{}", m.name);
        }
        let end = constant_pool_layout(&bytes).unwrap().end;
        let new_end = constant_pool_layout(&rewritten).unwrap().end;
        assert_eq!(bytes[end..], rewritten[new_end..]);
        // Redirecting again finds nothing.
        assert_eq!(
            redirect_static_calls(&rewritten, NANO_TIME, FAKE_CLOCK).unwrap(),
            rewritten
        );
    }

    #[test]
    fn a_class_without_the_method_comes_back_unchanged() {
        let classes = compile("unchanged");
        let bytes = std::fs::read(classes.join("fake/Clock.class")).unwrap();
        // fake.Clock names "nanoTime" (its own method) but calls nothing.
        assert_eq!(
            redirect_static_calls(&bytes, NANO_TIME, FAKE_CLOCK).unwrap(),
            bytes
        );
        let other = ("java/lang/System", "currentTimeMillis", "()J");
        let timed = std::fs::read(classes.join("Timed.class")).unwrap();
        let redirected =
            redirect_static_calls(&timed, other, ("fake/Clock", "nanoTime", "()J")).unwrap();
        assert_ne!(redirected, timed);
        assert!(invokestatic_targets(&redirected)
            .iter()
            .all(|c| c.1 != "currentTimeMillis"));
    }

    #[test]
    fn descriptors_must_agree_and_garbage_is_refused() {
        let wrong = ("fake/Clock", "nanoTime", "()I");
        assert!(matches!(
            redirect_static_calls(b"", NANO_TIME, wrong),
            Err(RewriteError::Malformed { .. })
        ));
        let mut junk = b"\xCA\xFE\xBA\xBE\0\0\0\x3d\0\x05".to_vec();
        junk.extend_from_slice(b"nanoTime");
        assert!(redirect_static_calls(&junk, NANO_TIME, FAKE_CLOCK).is_err());
    }
}
