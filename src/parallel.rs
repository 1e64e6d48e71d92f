//! Work spread over the machine's cores with results kept in input order.
//!
//! A batch is cut into chunks; worker threads do each chunk's independent work (typing
//! and evaluating cases, rendering them) and the results are handed back in the order the
//! chunks were made, so everything order-dependent (duplicate ids, case positions, the
//! cross-case rules, the output) sees exactly what one thread would have.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

/// How a batch is spread over threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parallelism {
    /// Worker threads; 1 does everything on the calling thread.
    pub threads: usize,
    /// About how many bytes of input (or of output) one chunk holds.
    pub chunk_bytes: usize,
}

impl Parallelism {
    /// One thread, and chunks of the usual size.
    pub const SEQUENTIAL: Parallelism = Parallelism { threads: 1, chunk_bytes: DEFAULT_CHUNK_BYTES };

    /// As many workers as the process may run at once (`taskset` and cgroup limits
    /// included), or `POLC_THREADS` when set to a number.
    pub fn available() -> Parallelism {
        let threads = std::env::var("POLC_THREADS")
            .ok()
            .and_then(|text| text.trim().parse::<usize>().ok())
            .filter(|threads| *threads > 0)
            .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
            .unwrap_or(1);
        Parallelism { threads, chunk_bytes: DEFAULT_CHUNK_BYTES }
    }

    pub fn is_sequential(self) -> bool {
        self.threads <= 1
    }
}

/// Large enough that handing a chunk over costs nothing beside its work, small enough
/// that the chunks in flight stay a few megabytes.
const DEFAULT_CHUNK_BYTES: usize = 512 * 1024;

/// Chunks handed out but not yet taken by the sink, per worker: bounds the memory in
/// flight while keeping every worker busy.
const IN_FLIGHT_PER_WORKER: usize = 4;

/// Runs `produce` on a thread of its own, `work` on each item it emits across `threads`
/// workers, and `sink` on the calling thread with each result in the order the items were
/// emitted. With one thread, all three run on the calling thread, one item at a time.
/// Returns what `produce` returns.
pub(crate) fn ordered<I, O, R>(
    threads: usize,
    produce: impl FnOnce(&mut dyn FnMut(I)) -> R + Send,
    work: impl Fn(I) -> O + Sync,
    mut sink: impl FnMut(O),
) -> R
where
    I: Send,
    O: Send,
    R: Send,
{
    if threads <= 1 {
        return produce(&mut |item| sink(work(item)));
    }
    let (jobs, queue) = sync_channel::<(I, SyncSender<O>)>(threads * IN_FLIGHT_PER_WORKER);
    let (order, results) = sync_channel::<Receiver<O>>(threads * IN_FLIGHT_PER_WORKER);
    let queue = Mutex::new(queue);
    let work = &work;
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let outcome = produce(&mut |item| {
                let (answer, result) = sync_channel(1);
                // Either send fails only when the other side is gone: a worker or the sink
                // panicked, and the scope passes that panic on.
                if jobs.send((item, answer)).is_ok() {
                    let _ = order.send(result);
                }
            });
            drop(jobs);
            outcome
        });
        for _ in 0..threads {
            let queue = &queue;
            scope.spawn(move || loop {
                let job = match queue.lock() {
                    Ok(queue) => queue.recv(),
                    Err(_) => return,
                };
                let Ok((item, answer)) = job else { return };
                let _ = answer.send(work(item));
            });
        }
        for result in results {
            match result.recv() {
                Ok(output) => sink(output),
                // Its worker panicked; the scope passes the panic on.
                Err(_) => break,
            }
        }
        match producer.join() {
            Ok(outcome) => outcome,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::ordered;

    #[test]
    fn results_come_back_in_the_order_the_items_were_made() {
        for threads in [1, 2, 3, 8] {
            let mut seen = Vec::new();
            let made = ordered(
                threads,
                |emit| {
                    for item in 0..1000u64 {
                        emit(item);
                    }
                    1000
                },
                |item| {
                    // Uneven work, so that later items often finish first.
                    if item % 7 == 0 {
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                    item * 2
                },
                |output| seen.push(output),
            );
            assert_eq!(made, 1000);
            assert_eq!(seen, (0..1000u64).map(|item| item * 2).collect::<Vec<_>>(), "{threads} threads");
        }
    }
}
