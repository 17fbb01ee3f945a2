//! [`Stop`]: why a waiting call must end early — its client went away (the session closed or the request
//! was cancelled) or the server is stopping. A waiting call that stops claims nothing.

use tokio::sync::watch;

/// Ends a wait when any of its signals turns true. Built by the MCP engine for each request.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    signals: Vec<watch::Receiver<bool>>,
}

impl Stop {
    /// Stops when any of `signals` is (or becomes) true, or when its sender is gone.
    pub fn new(signals: Vec<watch::Receiver<bool>>) -> Self {
        Stop { signals }
    }

    /// A stop that never fires (for callers without a client, such as tests and benchmarks).
    pub fn never() -> Self {
        Stop::default()
    }

    /// This stop, also firing on `signal`.
    pub fn with(mut self, signal: watch::Receiver<bool>) -> Self {
        self.signals.push(signal);
        self
    }

    /// Whether a signal already fired.
    pub fn is_stopped(&self) -> bool {
        self.signals
            .iter()
            .any(|s| *s.borrow() || s.has_changed().is_err())
    }

    /// Resolves once a signal fires; never, when there are none.
    pub async fn stopped(&self) {
        if self.signals.is_empty() {
            return std::future::pending().await;
        }
        let waits = self.signals.iter().cloned().map(|mut s| {
            Box::pin(async move {
                // An error means the sender is gone: the session or server it stood for has ended.
                let _ = s.wait_for(|stopped| *stopped).await;
            })
        });
        futures_select_all(waits).await;
    }
}

/// Resolves when the first of `futures` does (a tiny `select_all`, to avoid a dependency for it).
async fn futures_select_all<F>(futures: impl Iterator<Item = std::pin::Pin<Box<F>>>)
where
    F: std::future::Future<Output = ()> + ?Sized,
{
    let mut futures: Vec<_> = futures.collect();
    std::future::poll_fn(move |cx| {
        for f in &mut futures {
            if f.as_mut().poll(cx).is_ready() {
                return std::task::Poll::Ready(());
            }
        }
        std::task::Poll::Pending
    })
    .await;
}
