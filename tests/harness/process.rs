//! Running a child process with a time limit and capturing everything it says.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What a finished (or killed) process did.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The command line, for failure messages.
    pub command: String,
    /// The exit status; `None` when killed by a signal (including our timeout).
    pub status: Option<i32>,
    /// The harness killed it after the time limit.
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Run `command` with stdin closed, stdout and stderr captured; kill it after
/// `timeout`. Panics only when the program cannot be started.
pub fn run(mut command: Command, timeout: Duration) -> RunResult {
    let description = describe(&command);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{description}`: {e}"));

    // Drain both pipes on their own threads: a JVM that fills one pipe while we
    // wait on the other would otherwise block forever.
    let stdout = drain(child.stdout.take().expect("stdout is piped"));
    let stderr = drain(child.stderr.take().expect("stderr is piped"));

    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= timeout => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().unwrap_or_else(|e| panic!("wait for `{description}`: {e}"));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("wait for `{description}`: {e}"),
        }
    };
    let elapsed = start.elapsed();
    RunResult {
        command: description,
        status: status.code(),
        timed_out,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed,
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

impl RunResult {
    /// Everything about the run, for a failure message.
    pub fn report(&self) -> String {
        let outcome = if self.timed_out {
            format!("KILLED after {:.1} s (time limit)", self.elapsed.as_secs_f64())
        } else {
            match self.status {
                Some(code) => format!("exit status {code} after {:.1} s", self.elapsed.as_secs_f64()),
                None => "killed by a signal".to_string(),
            }
        };
        format!(
            "command: {}\noutcome: {outcome}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--------------",
            self.command,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }

    pub fn success(&self) -> bool {
        !self.timed_out && self.status == Some(0)
    }

    /// Fails the test unless the process exited by itself with `code`.
    #[track_caller]
    pub fn assert_exit(&self, code: i32) -> &RunResult {
        if self.timed_out || self.status != Some(code) {
            panic!("expected exit status {code}\n{}", self.report());
        }
        self
    }

    /// Fails the test unless the process exited by itself with a non-zero status.
    #[track_caller]
    pub fn assert_failure(&self) -> &RunResult {
        if self.timed_out || matches!(self.status, Some(0) | None) {
            panic!("expected a non-zero exit status\n{}", self.report());
        }
        self
    }

    /// Lines of stdout, without their line ends.
    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Fails unless stdout has a line exactly equal to `line`.
    #[track_caller]
    pub fn assert_line(&self, line: &str) -> &RunResult {
        if !self.stdout.lines().any(|l| l == line) {
            panic!("stdout has no line {line:?}\n{}", self.report());
        }
        self
    }

    /// Fails if stdout has a line exactly equal to `line`.
    #[track_caller]
    pub fn assert_no_line(&self, line: &str) -> &RunResult {
        if self.stdout.lines().any(|l| l == line) {
            panic!("stdout unexpectedly has the line {line:?}\n{}", self.report());
        }
        self
    }

    /// Fails unless the lines of stdout that start with `prefix` are exactly
    /// `expected`, in that order (the order callbacks ran in, for instance).
    #[track_caller]
    pub fn assert_lines_with_prefix(&self, prefix: &str, expected: &[&str]) -> &RunResult {
        let actual: Vec<&str> = self.stdout.lines().filter(|l| l.starts_with(prefix)).collect();
        if actual != expected {
            panic!(
                "lines starting with {prefix:?}:\n  expected {expected:#?}\n  actual   {actual:#?}\n{}",
                self.report()
            );
        }
        self
    }

    /// The first stdout line starting with `prefix`, without the prefix.
    #[track_caller]
    pub fn value_after(&self, prefix: &str) -> &str {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("stdout has no line starting with {prefix:?}\n{}", self.report()))
    }

    #[track_caller]
    pub fn assert_stdout_contains(&self, text: &str) -> &RunResult {
        if !self.stdout.contains(text) {
            panic!("stdout does not contain {text:?}\n{}", self.report());
        }
        self
    }

    #[track_caller]
    pub fn assert_stderr_contains(&self, text: &str) -> &RunResult {
        if !self.stderr.contains(text) {
            panic!("stderr does not contain {text:?}\n{}", self.report());
        }
        self
    }
}
