//! The planner's one error type: every message says what is wrong and where.

use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// A spec file that does not parse or does not make sense; `message` names the line
    /// and column (syntax) or the field path (meaning). `line` (1-based) is known for
    /// errors the JSON reader finds.
    Spec {
        path: String,
        message: String,
        line: Option<usize>,
    },
    /// A trace CSV with a bad row; `line` is 1-based.
    Trace {
        path: String,
        line: usize,
        message: String,
    },
    /// A file that cannot be read or written.
    Io {
        path: String,
        source: std::io::Error,
    },
    /// Settings that contradict each other or are out of range.
    Config(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spec { path, message, .. } => write!(f, "{path}: {message}"),
            Error::Trace {
                path,
                line,
                message,
            } => write!(f, "{path}:{line}: {message}"),
            Error::Io { path, source } => write!(f, "{path}: {source}"),
            Error::Config(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
