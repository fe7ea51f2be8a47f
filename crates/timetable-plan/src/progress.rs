//! A progress bar on stderr for long runs, drawn only when stderr is a terminal so that
//! redirected output and tests stay clean.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Runs shorter than this many simulated requests finish too fast to need a bar.
const LONG_RUN: u64 = 5_000_000;
/// Requests between bar updates: rare enough to cost nothing per request.
const CHUNK: u64 = 1 << 16;

/// Counts simulated requests; a no-op unless shown.
#[derive(Clone, Default)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    pub fn hidden() -> Self {
        Progress(None)
    }

    /// A bar over `total` requests (a counter when the total is unknown, as in a
    /// search), shown when stderr is a terminal and the work is long.
    pub fn for_requests(total: Option<u64>, label: &str) -> Self {
        let long = total.is_none_or(|total| total >= LONG_RUN);
        if !(long && std::io::stderr().is_terminal()) {
            return Progress(None);
        }
        let (bar, template) = match total {
            Some(total) => (
                ProgressBar::new(total),
                "{msg} [{bar:40}] {human_pos}/{human_len} requests, {elapsed} elapsed, ETA {eta}",
            ),
            None => (
                ProgressBar::new_spinner(),
                "{spinner} {msg}: {human_pos} requests simulated, {elapsed} elapsed",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_string());
        Progress(Some(bar))
    }

    pub fn advance(&self, requests: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(requests);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }

    /// Wraps a request stream so that the bar moves every `CHUNK` items.
    pub(crate) fn track<I: Iterator>(&self, inner: I) -> Tracked<'_, I> {
        Tracked {
            inner,
            progress: self,
            pending: 0,
        }
    }
}

pub(crate) struct Tracked<'a, I> {
    inner: I,
    progress: &'a Progress,
    pending: u64,
}

impl<I: Iterator> Iterator for Tracked<'_, I> {
    type Item = I::Item;

    #[inline]
    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next();
        if item.is_some() {
            self.pending += 1;
            if self.pending == CHUNK {
                self.progress.advance(CHUNK);
                self.pending = 0;
            }
        } else if self.pending > 0 {
            self.progress.advance(self.pending);
            self.pending = 0;
        }
        item
    }
}
