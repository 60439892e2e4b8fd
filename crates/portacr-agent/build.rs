//! Compiles the Java runtime (`java-bindings/src`: the `jdk.crac` API and the
//! `io.portacr` helpers) with `javac --release 17` and packs the classes into
//! `$OUT_DIR/portacr-runtime.jar`, which the agent embeds and puts on the boot
//! class path at load time.
//!
//! The jar is deterministic (sorted entries, fixed timestamps) so that the
//! same sources give the same bytes, and the agent can name its extracted
//! copy by content.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let sources_root = manifest_dir.join("../../java-bindings/src");
    println!("cargo:rerun-if-changed=../../java-bindings/src");
    println!("cargo:rerun-if-env-changed=JAVA_HOME");

    let mut sources = Vec::new();
    collect_files(&sources_root, "java", &mut sources);
    sources.sort();
    if sources.is_empty() {
        fail(&format!("no .java files under {}", sources_root.display()));
    }

    let classes_dir = out_dir.join("classes");
    // Start empty so a deleted source never leaves its class in the jar.
    let _ = fs::remove_dir_all(&classes_dir);
    fs::create_dir_all(&classes_dir)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", classes_dir.display())));

    // An argument file keeps the command line short however many sources.
    let argfile = out_dir.join("javac-sources.txt");
    let list: String = sources
        .iter()
        .map(|p| format!("\"{}\"\n", p.display()))
        .collect();
    fs::write(&argfile, list)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", argfile.display())));

    let javac = match std::env::var_os("JAVA_HOME") {
        Some(home) if Path::new(&home).join("bin/javac").is_file() => {
            Path::new(&home).join("bin/javac")
        }
        _ => PathBuf::from("javac"),
    };
    let output = Command::new(&javac)
        .args([
            "--release",
            "17",
            "-encoding",
            "UTF-8",
            "-nowarn",
            "-Xlint:none",
            "-implicit:none",
            // String concatenation as StringBuilder calls, not invokedynamic: each
            // indy concatenation site bootstraps method handles the first time it
            // runs, which the capture paid on the checkpoint's path (its statistics
            // line alone: ~10 ms in a JVM's first checkpoint).
            "-XDstringConcat=inline",
            "-d",
        ])
        .arg(&classes_dir)
        .arg(format!("@{}", argfile.display()))
        .output()
        .unwrap_or_else(|e| {
            fail(&format!(
                "cannot run {}: {e} (set JAVA_HOME or put javac on PATH)",
                javac.display()
            ))
        });
    if !output.status.success() {
        let mut stderr = std::io::stderr();
        let _ = stderr.write_all(&output.stdout);
        let _ = stderr.write_all(&output.stderr);
        fail(&format!(
            "{} failed on java-bindings/src ({})",
            javac.display(),
            output.status
        ));
    }

    let mut classes = Vec::new();
    collect_files(&classes_dir, "class", &mut classes);
    // Compile-time stubs of JDK-internal types (java-bindings/src/**/compile-stubs:
    // sun.management.spi.PlatformMBeanProvider and jdk.internal.misc.Unsafe, which
    // `--release 17` hides) are not shipped: at run time the JDK's own class is used.
    classes.retain(|c| {
        !c.strip_prefix(&classes_dir)
            .is_ok_and(|r| r.starts_with("sun") || r.starts_with("jdk/internal"))
    });
    classes.sort();
    // The platform MXBean provider (CRaCMXBean) is announced by a service
    // file. Its superclass's package, java.management/sun.management.spi, is
    // exported to the runtime's module at VMInit — before any Java code can
    // ask ManagementFactory for providers (JVMTI VMInit precedes the JVM's
    // management initialization).
    write_jar(
        &classes_dir,
        &classes,
        &[(
            "META-INF/services/sun.management.spi.PlatformMBeanProvider",
            b"jdk.crac.management.CRaCPlatformProvider\n".as_slice(),
        )],
        &out_dir.join("portacr-runtime.jar"),
    );
}

fn fail(message: &str) -> ! {
    eprintln!("portacr-agent build: error: {message}");
    exit(1);
}

fn collect_files(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

fn write_jar(classes_dir: &Path, classes: &[PathBuf], resources: &[(&str, &[u8])], jar_path: &Path) {
    let file = fs::File::create(jar_path)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", jar_path.display())));
    let mut jar = zip::ZipWriter::new(file);
    // Fixed timestamp (the zip epoch, 1980-01-01) for reproducible bytes.
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let result = (|| -> zip::result::ZipResult<()> {
        jar.add_directory("META-INF/", options)?;
        jar.start_file("META-INF/MANIFEST.MF", options)?;
        jar.write_all(b"Manifest-Version: 1.0\r\nCreated-By: portacr-agent build.rs\r\n\r\n")?;
        for class in classes {
            let relative = class
                .strip_prefix(classes_dir)
                .expect("class files are under the classes directory");
            let name: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            jar.start_file(name.join("/"), options)?;
            jar.write_all(&fs::read(class)?)?;
        }
        for (name, bytes) in resources {
            jar.start_file(*name, options)?;
            jar.write_all(bytes)?;
        }
        jar.finish()?;
        Ok(())
    })();
    if let Err(e) = result {
        fail(&format!("cannot write {}: {e}", jar_path.display()));
    }
}
