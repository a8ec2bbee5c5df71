//! The background tasks of a process, owned in one place: the group-commit writer and the WAL
//! checkpointer (`storage::writer`), the cache-event listener or change-log poller
//! (`coherence`), and the janitor that prunes the change log. They start with the database and
//! stop together: [`Tasks::shutdown`] (after the listeners have finished their requests, at
//! SIGTERM or SIGINT) tells each to stop, lets the writer commit what is queued, and waits for
//! them. A supervised task that fails or panics is logged and started again after a pause.

use std::{future::Future, sync::Mutex, time::Duration};

use tokio::{sync::watch, task::JoinHandle};

/// How long [`Tasks::shutdown`] waits for the tasks before leaving them.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Pauses between restarts of a failing task: doubled each time, up to the last.
const BACKOFF: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
    Duration::from_secs(5),
];

/// A stop signal a task watches.
pub type Stop = watch::Receiver<bool>;

/// Resolves when `stop` says so (or its sender is gone).
pub async fn stopped(stop: &mut Stop) {
    let _ = stop.wait_for(|s| *s).await;
}

pub struct Tasks {
    stop: watch::Sender<bool>,
    running: Mutex<Vec<(&'static str, JoinHandle<()>)>>,
}

impl std::fmt::Debug for Tasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .running
            .lock()
            .map(|r| r.iter().map(|(n, _)| *n).collect())
            .unwrap_or_default();
        f.debug_struct("Tasks").field("running", &names).finish()
    }
}

impl Default for Tasks {
    fn default() -> Self {
        Self {
            stop: watch::channel(false).0,
            running: Mutex::default(),
        }
    }
}

impl Tasks {
    /// The signal tasks watch to know when to stop.
    pub fn stop_signal(&self) -> Stop {
        self.stop.subscribe()
    }

    pub fn is_stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Runs a task that is not restarted (it ends by itself once the stop signal is given).
    pub fn spawn(&self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(task);
        if let Ok(mut r) = self.running.lock() {
            r.retain(|(_, h)| !h.is_finished());
            r.push((name, handle));
        }
    }

    /// Runs `make(stop)` until the stop signal; when it returns an error or panics before that,
    /// logs it and starts it again after a pause.
    pub fn supervise<F, Fut>(&self, name: &'static str, make: F)
    where
        F: Fn(Stop) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let mut stop = self.stop_signal();
        self.spawn(name, async move {
            let mut failures = 0usize;
            loop {
                let began = crate::clock::stopwatch();
                let run = tokio::spawn(make(stop.clone()));
                let outcome = run.await;
                if began.elapsed() > Duration::from_secs(1) {
                    // It got going before it failed: start again from the shortest pause.
                    failures = 0;
                }
                if *stop.borrow() {
                    return;
                }
                match outcome {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) => {
                        tracing::error!(task = name, error = %e, "background task failed")
                    }
                    Err(e) => tracing::error!(task = name, error = %e, "background task panicked"),
                }
                let pause = BACKOFF[failures.min(BACKOFF.len() - 1)];
                failures += 1;
                tracing::warn!(
                    task = name,
                    pause_ms = pause.as_millis() as u64,
                    "restarting"
                );
                tokio::select! {
                    () = stopped(&mut stop) => return,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        });
    }

    /// Tells every task to stop and waits for them (at most a few seconds).
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let running: Vec<_> = self
            .running
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default();
        for (name, handle) in running {
            match tokio::time::timeout(STOP_GRACE, handle).await {
                Ok(Ok(())) => tracing::debug!(task = name, "stopped"),
                Ok(Err(e)) => tracing::error!(task = name, error = %e, "background task panicked"),
                Err(_) => tracing::warn!(task = name, "did not stop in time; left behind"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    #[tokio::test]
    async fn a_failing_task_is_restarted_and_all_stop_together() {
        let tasks = Tasks::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        tasks.supervise("flaky", move |mut stop| {
            let r = r.clone();
            async move {
                if r.fetch_add(1, Ordering::SeqCst) < 2 {
                    anyhow::bail!("not yet");
                }
                stopped(&mut stop).await;
                Ok(())
            }
        });
        for _ in 0..100 {
            if runs.load(Ordering::SeqCst) >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 3, "failed twice, then ran");
        tasks.shutdown().await;
        assert!(tasks.is_stopping());
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }
}
