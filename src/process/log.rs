//! The daemon log (`cli-and-registry.md` §10, §11), behind the `log` crate facade.
//!
//! One line per event: `2026-11-27T11:17:21.512Z INFO  <message>` (UTC, milliseconds, the level
//! name padded to five characters, one space). Line breaks inside a message are written as `\n`
//! so that an event stays on one line. Levels are filtered by `MU_LOG` (default `info`).
//!
//! `serve` writes `<root>/.mu/daemon.log` (append, created 0600) and points stderr (and stdout,
//! unless `--json`) at it; `run` writes to stderr and to the same file. Before a write would take
//! the file over the cap (10 MiB), it is renamed to `daemon.log.1`, replacing the previous one, and
//! a new file is opened; redirected descriptors follow it.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Size cap of `daemon.log` (§10).
pub const MAX_LOG_BYTES: u64 = 10 * 1024 * 1024;

/// Where and what to log.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// The log file (`<root>/.mu/daemon.log`); `None` writes no file.
    pub file: Option<PathBuf>,
    /// Also write each line to stderr (`run`). Redirection is then not done.
    pub tee_stderr: bool,
    /// Point fd 2 at the log file, now and after each rotation (`serve`).
    pub redirect_stdio: bool,
    /// With `redirect_stdio`, also point fd 1 at the log file (`serve` without `--json`).
    pub redirect_stdout: bool,
    /// The `MU_LOG` value; `None` or blank means `info`.
    pub filter: Option<String>,
    /// `-v` raises the default level to `debug`, `-vv` to `trace`.
    pub verbose: u8,
}

/// A parsed `MU_LOG` filter: a default level and per-target directives. A directive applies to
/// a target equal to its name or below it (`name::…`); the longest matching name wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    default: LevelFilter,
    /// Longest name first.
    directives: Vec<(String, LevelFilter)>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            default: LevelFilter::Info,
            directives: Vec::new(),
        }
    }
}

impl Filter {
    /// Whether a record of `level` from `target` is logged.
    pub fn enabled(&self, target: &str, level: Level) -> bool {
        level <= self.level_for(target)
    }

    /// The most verbose level any target can log (for `log::set_max_level`).
    pub fn max_level(&self) -> LevelFilter {
        self.directives
            .iter()
            .map(|(_, l)| *l)
            .fold(self.default, std::cmp::max)
    }

    /// The default level, for targets no directive names.
    pub fn default_level(&self) -> LevelFilter {
        self.default
    }

    fn level_for(&self, target: &str) -> LevelFilter {
        for (name, level) in &self.directives {
            if target == name
                || (target.starts_with(name.as_str()) && target[name.len()..].starts_with("::"))
            {
                return *level;
            }
        }
        self.default
    }

    /// Raise the default level to at least `level` (`-v`, `-vv`).
    fn raise_default(&mut self, level: LevelFilter) {
        self.default = std::cmp::max(self.default, level);
    }
}

/// Parse a `MU_LOG` value: comma-separated directives, each a level (`error`, `warn`, `info`,
/// `debug`, `trace`, `off`; sets the default) or `target=level`. Targets are Rust module paths
/// (`mu_daemon`, `mu_daemon::server`). Without a bare level the default stays `info`.
pub fn parse_filter(s: &str) -> Result<Filter, String> {
    let mut filter = Filter::default();
    let mut any = false;
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        any = true;
        match part.split_once('=') {
            None => filter.default = parse_level(part)?,
            Some((name, level)) => {
                let name = name.trim();
                let valid_name = !name.is_empty()
                    && name.split("::").all(|seg| {
                        !seg.is_empty()
                            && seg
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    });
                if !valid_name {
                    return Err(format!("invalid target '{name}'"));
                }
                let level = parse_level(level.trim())?;
                filter.directives.retain(|(n, _)| n != name);
                filter.directives.push((name.to_string(), level));
            }
        }
    }
    if !any {
        return Err("empty filter".to_string());
    }
    filter
        .directives
        .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    Ok(filter)
}

fn parse_level(s: &str) -> Result<LevelFilter, String> {
    s.parse::<LevelFilter>()
        .map_err(|_| format!("invalid level '{s}'"))
}

/// Install the daemon logger as the global `log` logger (once per process) with the 10 MiB cap.
/// Returns warnings for the caller to show, such as an invalid `MU_LOG`.
pub fn init(opts: LogOptions) -> Result<Vec<String>, io::Error> {
    init_with_cap(opts, MAX_LOG_BYTES)
}

/// [`init`] with another size cap.
pub fn init_with_cap(opts: LogOptions, max_bytes: u64) -> Result<Vec<String>, io::Error> {
    let (logger, warnings) = DaemonLogger::new(opts, max_bytes)?;
    let max = logger.filter.max_level();
    // `set_logger` with a leaked box: `set_boxed_logger` needs the `log/std` feature.
    log::set_logger(Box::leak(Box::new(logger))).map_err(|_| {
        io::Error::new(
            io::ErrorKind::AlreadyExists,
            "a logger is already installed",
        )
    })?;
    log::set_max_level(max);
    Ok(warnings)
}

/// The filter `init` would use, and the warning for an invalid value.
pub fn effective_filter(value: Option<&str>, verbose: u8) -> (Filter, Option<String>) {
    let (mut filter, warning) = match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => (Filter::default(), None),
        Some(v) => match parse_filter(v) {
            Ok(f) => (f, None),
            Err(_) => (
                Filter::default(),
                Some(format!("Invalid MU_LOG value '{v}'; using 'info'.")),
            ),
        },
    };
    match verbose {
        0 => {}
        1 => filter.raise_default(LevelFilter::Debug),
        _ => filter.raise_default(LevelFilter::Trace),
    }
    (filter, warning)
}

/// Format one log line, newline included.
pub fn format_line(now: chrono::DateTime<chrono::Utc>, level: Level, message: &str) -> String {
    let mut line = format!(
        "{} {:<5} ",
        now.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        level.as_str()
    );
    for c in message.chars() {
        match c {
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            c => line.push(c),
        }
    }
    line.push('\n');
    line
}

/// The logger; [`init`] installs one globally. Public so that tests and tools can drive one
/// directly.
pub struct DaemonLogger {
    filter: Filter,
    tee_stderr: bool,
    file: Option<Mutex<LogFile>>,
}

struct LogFile {
    path: PathBuf,
    file: File,
    max_bytes: u64,
    redirect_stdio: bool,
    redirect_stdout: bool,
}

impl DaemonLogger {
    /// Open the log file (if any) and, when asked, point stderr/stdout at it.
    pub fn new(opts: LogOptions, max_bytes: u64) -> io::Result<(DaemonLogger, Vec<String>)> {
        let (filter, warning) = effective_filter(opts.filter.as_deref(), opts.verbose);
        let redirect = opts.redirect_stdio && !opts.tee_stderr;
        let file = match opts.file {
            None => None,
            Some(path) => {
                let file = open_log(&path)?;
                let log_file = LogFile {
                    path,
                    file,
                    max_bytes: max_bytes.max(1),
                    redirect_stdio: redirect,
                    redirect_stdout: redirect && opts.redirect_stdout,
                };
                log_file.redirect()?;
                Some(Mutex::new(log_file))
            }
        };
        let logger = DaemonLogger {
            filter,
            tee_stderr: opts.tee_stderr,
            file,
        };
        Ok((logger, warning.into_iter().collect()))
    }

    /// The active filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Write one already formatted line (ending in a newline) to the sinks.
    pub fn write_line(&self, line: &str) {
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
            // Logging must never fail the caller; an unwritable log is dropped silently.
            let _ = file.write_line(line.as_bytes());
        }
        if self.tee_stderr {
            let _ = io::stderr().lock().write_all(line.as_bytes());
        }
    }
}

impl fmt::Debug for DaemonLogger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DaemonLogger")
            .field("filter", &self.filter)
            .field("tee_stderr", &self.tee_stderr)
            .field(
                "file",
                &self
                    .file
                    .as_ref()
                    .map(|f| f.lock().map(|f| f.path.clone()).ok()),
            )
            .finish()
    }
}

impl Log for DaemonLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.filter.enabled(metadata.target(), metadata.level())
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        self.write_line(&format_line(chrono::Utc::now(), record.level(), &message));
    }

    fn flush(&self) {
        if let Some(file) = &self.file {
            let file = file.lock().unwrap_or_else(|e| e.into_inner());
            let _ = (&file.file).flush();
        }
    }
}

impl LogFile {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        // A single line never exceeds the cap, so the file stays within it.
        let cap = usize::try_from(self.max_bytes).unwrap_or(usize::MAX);
        let truncated;
        let line = if line.len() > cap {
            let mut l = line[..cap.saturating_sub(1)].to_vec();
            l.push(b'\n');
            truncated = l;
            &truncated[..]
        } else {
            line
        };
        // The size is taken from the file itself: redirected stderr writes to it as well.
        let size = self.file.metadata()?.len();
        if size > 0 && size + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        self.file.write_all(line)
    }

    fn rotate(&mut self) -> io::Result<()> {
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        if fs::rename(&self.path, &old).is_err() {
            // Cannot rotate (for example the directory became read-only): start the file over
            // rather than let it grow without bound.
            return self.file.set_len(0);
        }
        self.file = open_log(&self.path)?;
        self.redirect()
    }

    fn redirect(&self) -> io::Result<()> {
        let fd = self.file.as_raw_fd();
        let targets: &[i32] = match (self.redirect_stdio, self.redirect_stdout) {
            (false, _) => &[],
            (true, false) => &[2],
            (true, true) => &[1, 2],
        };
        for &target in targets {
            // SAFETY: dup2 onto the standard descriptors, which this process owns; the log
            // file's own descriptor stays open and owned by `self.file`.
            if unsafe { libc::dup2(fd, target) } == -1 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

fn open_log(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

/// The last `n` lines of the log at `path` (lossy UTF-8, without line ends). Reads from the end
/// of the file, so it is cheap on a full 10 MiB log. When the file has fewer than `n` lines (it
/// was just rotated), the rest comes from the end of `<path>.1`. A missing file gives nothing.
pub fn tail(path: &Path, n: usize) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let mut lines = tail_file(path, n).unwrap_or_default();
    if lines.len() < n {
        let mut old = path.as_os_str().to_os_string();
        old.push(".1");
        let mut earlier = tail_file(Path::new(&old), n - lines.len()).unwrap_or_default();
        earlier.append(&mut lines);
        lines = earlier;
    }
    lines
}

fn tail_file(path: &Path, n: usize) -> io::Result<Vec<String>> {
    const CHUNK: u64 = 64 * 1024;
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut pos = len;
    let mut data: Vec<u8> = Vec::new();
    // Read backwards until the kept bytes hold n complete lines (n+1 line ends, or the start).
    loop {
        let ends = data.iter().filter(|&&b| b == b'\n').count();
        let trailing = usize::from(data.last() == Some(&b'\n'));
        if pos == 0 || ends >= n + trailing {
            break;
        }
        let start = pos.saturating_sub(CHUNK);
        let mut chunk = vec![0u8; (pos - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&data);
        data = chunk;
        pos = start;
    }
    let mut text: &[u8] = &data;
    if text.last() == Some(&b'\n') {
        text = &text[..text.len() - 1];
    }
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mut lines: Vec<&[u8]> = text.rsplitn(n + 1, |&b| b == b'\n').collect();
    lines.truncate(n); // an extra first item is a partial line or earlier lines
    Ok(lines
        .into_iter()
        .rev()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::os::unix::fs::PermissionsExt;

    fn ts() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 11, 17, 21)
            .unwrap()
            + chrono::Duration::milliseconds(512)
    }

    #[test]
    fn line_format_is_exact() {
        assert_eq!(
            format_line(ts(), Level::Info, "listening on 127.0.0.1:9120"),
            "2026-11-27T11:17:21.512Z INFO  listening on 127.0.0.1:9120\n"
        );
        assert_eq!(
            format_line(ts(), Level::Error, "x"),
            "2026-11-27T11:17:21.512Z ERROR x\n"
        );
        assert_eq!(
            format_line(ts(), Level::Warn, "x"),
            "2026-11-27T11:17:21.512Z WARN  x\n"
        );
        assert_eq!(
            format_line(ts(), Level::Debug, "x"),
            "2026-11-27T11:17:21.512Z DEBUG x\n"
        );
        assert_eq!(
            format_line(ts(), Level::Trace, "x"),
            "2026-11-27T11:17:21.512Z TRACE x\n"
        );
        assert_eq!(
            format_line(ts(), Level::Info, "a\nb\r"),
            "2026-11-27T11:17:21.512Z INFO  a\\nb\\r\n"
        );
    }

    #[test]
    fn filter_parsing_and_matching() {
        let f = parse_filter("info").unwrap();
        assert!(f.enabled("mu_daemon", Level::Info));
        assert!(!f.enabled("mu_daemon", Level::Debug));
        assert_eq!(f.max_level(), LevelFilter::Info);

        let f = parse_filter("mu_daemon=debug,warn").unwrap();
        assert!(f.enabled("mu_daemon", Level::Debug));
        assert!(f.enabled("mu_daemon::server", Level::Debug));
        assert!(!f.enabled("mu_daemon::server", Level::Trace));
        assert!(!f.enabled("mu_daemonx", Level::Info));
        assert!(f.enabled("mu_daemonx", Level::Warn));
        assert!(!f.enabled("tokio", Level::Info));
        assert_eq!(f.max_level(), LevelFilter::Debug);

        let f = parse_filter("mu_daemon=debug, mu_daemon::watch=error").unwrap();
        assert!(!f.enabled("mu_daemon::watch::debounce", Level::Warn));
        assert!(f.enabled("mu_daemon::server", Level::Debug));
        assert!(f.enabled("other", Level::Info));
        assert!(!f.enabled("other", Level::Debug));

        let f = parse_filter("off").unwrap();
        assert!(!f.enabled("mu_daemon", Level::Error));
        assert_eq!(f.max_level(), LevelFilter::Off);
        assert_eq!(
            parse_filter("TRACE").unwrap().default_level(),
            LevelFilter::Trace
        );

        for bad in [
            "",
            " , ",
            "verbose",
            "mu_daemon=loud",
            "=debug",
            "a b=info",
            "info,bogus",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn invalid_mu_log_warns_and_uses_info() {
        let (f, w) = effective_filter(Some("loud"), 0);
        assert_eq!(f, Filter::default());
        assert_eq!(
            w.as_deref(),
            Some("Invalid MU_LOG value 'loud'; using 'info'.")
        );
        assert_eq!(effective_filter(None, 0), (Filter::default(), None));
        assert_eq!(effective_filter(Some("  "), 0), (Filter::default(), None));
        assert_eq!(
            effective_filter(None, 1).0.default_level(),
            LevelFilter::Debug
        );
        assert_eq!(
            effective_filter(None, 2).0.default_level(),
            LevelFilter::Trace
        );
        assert_eq!(
            effective_filter(Some("trace"), 1).0.default_level(),
            LevelFilter::Trace
        );
    }

    fn record<'a>(target: &'a str, level: Level, args: fmt::Arguments<'a>) -> Record<'a> {
        Record::builder()
            .target(target)
            .level(level)
            .args(args)
            .build()
    }

    /// Strip the timestamp (first 25 characters) so lines can be compared exactly.
    fn bodies(path: &Path) -> Vec<String> {
        fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| l[25..].to_string())
            .collect()
    }

    #[test]
    fn logger_writes_filtered_lines_to_a_0600_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.log");
        let opts = LogOptions {
            file: Some(path.clone()),
            filter: Some("mu_daemon::server=debug,info".to_string()),
            ..Default::default()
        };
        let (logger, warnings) = DaemonLogger::new(opts, MAX_LOG_BYTES).unwrap();
        assert!(warnings.is_empty());
        logger.log(&record(
            "mu_daemon",
            Level::Info,
            format_args!("started pid={}", 42),
        ));
        logger.log(&record("mu_daemon", Level::Debug, format_args!("hidden")));
        logger.log(&record(
            "mu_daemon::server",
            Level::Debug,
            format_args!("shown"),
        ));
        logger.log(&record(
            "mu_daemon::server",
            Level::Trace,
            format_args!("hidden"),
        ));
        logger.log(&record("other", Level::Warn, format_args!("careful")));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            bodies(&path),
            vec!["INFO  started pid=42", "DEBUG shown", "WARN  careful"]
        );
        let line = fs::read_to_string(&path)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        let stamp = &line[..24];
        assert!(
            chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
            "{stamp}"
        );
        assert!(
            stamp.ends_with('Z') && stamp.as_bytes()[19] == b'.',
            "{stamp}"
        );

        // Appends to an existing file.
        drop(logger);
        let (logger, _) = DaemonLogger::new(
            LogOptions {
                file: Some(path.clone()),
                ..Default::default()
            },
            MAX_LOG_BYTES,
        )
        .unwrap();
        logger.log(&record("mu_daemon", Level::Error, format_args!("again")));
        assert_eq!(bodies(&path).len(), 4);
        assert_eq!(bodies(&path)[3], "ERROR again");
    }

    #[test]
    fn rotation_keeps_one_old_file_and_bounds_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.log");
        let cap = 1000;
        let (logger, _) = DaemonLogger::new(
            LogOptions {
                file: Some(path.clone()),
                ..Default::default()
            },
            cap,
        )
        .unwrap();
        let mut written = Vec::new();
        for i in 0..200 {
            // 31 bytes of stamp and level, 49 of message, the newline: 81 bytes.
            let msg = format!("line {i:03} {}", "x".repeat(40));
            logger.log(&record("mu_daemon", Level::Info, format_args!("{msg}")));
            written.push(format!("INFO  {msg}"));
            assert!(fs::metadata(&path).unwrap().len() <= cap);
        }
        let old = dir.path().join("daemon.log.1");
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, vec!["daemon.log", "daemon.log.1"]);
        assert!(fs::metadata(&old).unwrap().len() <= cap);
        assert!(fs::metadata(&old).unwrap().len() > cap - 81);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Together the two files hold the most recent lines, in order, with none lost at the seam.
        let mut kept = bodies(&old);
        kept.extend(bodies(&path));
        assert_eq!(kept, written[written.len() - kept.len()..].to_vec());
        assert!(kept.len() >= 12, "{}", kept.len());
        // An oversized line is cut to the cap.
        logger.write_line(&format!("{}\n", "y".repeat(5000)));
        assert_eq!(fs::metadata(&path).unwrap().len(), cap);
    }

    const REDIRECT_CHILD_ENV: &str = "MU_PROCESS_TEST_REDIRECT_DIR";

    /// Runs inside a re-executed test binary (see `rotation_repoints_stderr_and_stdout`), since
    /// redirecting fd 1 and 2 of the test harness itself would hide its output.
    #[test]
    fn redirect_child() {
        let Some(dir) = std::env::var_os(REDIRECT_CHILD_ENV) else {
            return;
        };
        let path = Path::new(&dir).join("daemon.log");
        let opts = LogOptions {
            file: Some(path),
            redirect_stdio: true,
            redirect_stdout: true,
            ..Default::default()
        };
        let (logger, _) = DaemonLogger::new(opts, 300).unwrap();
        let raw = |fd: i32, s: &str| unsafe {
            libc::write(fd, s.as_ptr().cast(), s.len());
        };
        raw(2, "native-before\n");
        for i in 0..4 {
            let msg = format!("line {i:03} {}", "x".repeat(40));
            logger.log(&record("mu_daemon", Level::Info, format_args!("{msg}")));
        }
        raw(2, "native-after\n");
        raw(1, "stdout-after\n");
        // Leave before the harness writes its result into the redirected stdout.
        unsafe { libc::_exit(0) };
    }

    #[test]
    fn rotation_repoints_stderr_and_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "process::log::tests::redirect_child",
                "--nocapture",
                "-q",
            ])
            .env(REDIRECT_CHILD_ENV, dir.path())
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let read = |name: &str| -> Vec<String> {
            fs::read_to_string(dir.path().join(name))
                .unwrap()
                .lines()
                .map(|l| {
                    if l.starts_with("20") {
                        l[25..].to_string()
                    } else {
                        l.to_string()
                    }
                })
                .collect()
        };
        let line = |i: usize| format!("INFO  line {i:03} {}", "x".repeat(40));
        assert_eq!(
            read("daemon.log.1"),
            vec!["native-before".to_string(), line(0), line(1), line(2)]
        );
        assert_eq!(
            read("daemon.log"),
            vec![line(3), "native-after".into(), "stdout-after".into()]
        );
    }

    #[test]
    fn tail_reads_last_lines_of_a_big_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.log");
        let mut text = String::new();
        let mut i = 0;
        while text.len() < 10 * 1024 * 1024 {
            text.push_str(&format!("line {i} {}\n", "z".repeat(100)));
            i += 1;
        }
        fs::write(&path, &text).unwrap();
        let last = tail(&path, 20);
        assert_eq!(last.len(), 20);
        assert_eq!(last[0], format!("line {} {}", i - 20, "z".repeat(100)));
        assert_eq!(last[19], format!("line {} {}", i - 1, "z".repeat(100)));
        assert!(tail(&path, 0).is_empty());

        // No trailing newline, invalid UTF-8, fewer lines than asked, missing file.
        fs::write(&path, b"a\n\xffb\nc").unwrap();
        assert_eq!(tail(&path, 2), vec!["\u{fffd}b", "c"]);
        assert_eq!(tail(&path, 10), vec!["a", "\u{fffd}b", "c"]);
        fs::write(&path, b"\n\nx\n").unwrap();
        assert_eq!(tail(&path, 2), vec!["", "x"]);
        assert_eq!(tail(&path, 5), vec!["", "", "x"]);
        assert!(tail(&dir.path().join("missing.log"), 5).is_empty());

        // A just-rotated log: the rest comes from daemon.log.1.
        fs::write(dir.path().join("daemon.log.1"), "o1\no2\no3\n").unwrap();
        fs::write(&path, "n1\n").unwrap();
        assert_eq!(tail(&path, 3), vec!["o2", "o3", "n1"]);
        fs::write(&path, "").unwrap();
        assert_eq!(tail(&path, 2), vec!["o2", "o3"]);
    }
}
