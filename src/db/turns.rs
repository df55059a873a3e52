//! Writers taking turns, in the order they came, before they start a SQLite write transaction.
//!
//! SQLite lets one writer in at a time, and a writer kept out only polls for the lock, sleeping
//! between looks until its `busy_timeout` runs out. One that commits and begins again at once (an
//! import storing chunk after chunk) can so keep the lock for as long as it has work, and a
//! handler recording an outcome meanwhile is told "database is locked". Taking a turn here first
//! means each writer in this process waits for the ones before it, and no longer than that.
//! (Another process on the same file, `outreach import` beside the service, still polls.)

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Condvar, Mutex,
};

/// A ticket queue: each writer takes the next number and goes when it is called.
pub struct Turns {
    next: AtomicU64,
    serving: Mutex<u64>,
    called: Condvar,
}

/// The writer's turn, held until it is dropped (after its commit or rollback, or while
/// unwinding from a panic), which calls the next one.
pub struct Turn<'a> {
    turns: &'a Turns,
}

impl Turns {
    pub const fn new() -> Turns {
        Turns {
            next: AtomicU64::new(0),
            serving: Mutex::new(0),
            called: Condvar::new(),
        }
    }

    /// Waits until every writer that came earlier has finished.
    pub fn take(&self) -> Turn<'_> {
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        let mut serving = self.serving.lock().unwrap_or_else(|p| p.into_inner());
        while *serving != ticket {
            serving = self.called.wait(serving).unwrap_or_else(|p| p.into_inner());
        }
        Turn { turns: self }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut serving = self.turns.serving.lock().unwrap_or_else(|p| p.into_inner());
        *serving += 1;
        self.turns.called.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex as StdMutex};

    use super::Turns;

    #[test]
    fn writers_go_one_at_a_time_in_the_order_they_came() {
        static TURNS: Turns = Turns::new();
        let order = Arc::new(StdMutex::new(Vec::new()));
        let first = TURNS.take();
        let waiting: Vec<_> = (0..4)
            .map(|i| {
                let order = Arc::clone(&order);
                let handle = std::thread::spawn(move || {
                    let _turn = TURNS.take();
                    order.lock().unwrap().push(i);
                });
                // Each has taken its ticket before the next starts.
                while TURNS.next.load(std::sync::atomic::Ordering::Relaxed) < i + 2 {
                    std::thread::yield_now();
                }
                handle
            })
            .collect();
        assert!(order.lock().unwrap().is_empty(), "all wait for the first");
        drop(first);
        for handle in waiting {
            handle.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3]);
    }

    #[test]
    fn a_writer_that_panics_still_calls_the_next() {
        static TURNS: Turns = Turns::new();
        let panicked = std::thread::spawn(|| {
            let _turn = TURNS.take();
            panic!("a writer failed");
        })
        .join();
        assert!(panicked.is_err());
        drop(TURNS.take());
    }
}
