//! Running one piece of work on several threads at once.

/// Runs `work` on the calling thread and on `threads - 1` more, named
/// `name`, and returns when all are done. The pieces share their work
/// through `work`'s own state (e.g. an atomic next-part index). A thread the
/// system refuses leaves its share to the others; a panic in any thread is
/// resumed on the caller's.
pub(crate) fn run_scoped(threads: usize, name: &str, work: impl Fn() + Sync) {
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads.max(1))
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn_scoped(scope, &work)
                    .ok()
            })
            .collect();
        work();
        for handle in others {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_thread_takes_part() {
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        super::run_scoped(3, "test-part", || {
            while next.fetch_add(1, Ordering::Relaxed) < 100 {
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
        assert_eq!(done.load(Ordering::Relaxed), 100);
    }
}
