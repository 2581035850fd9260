//! Load: 10,000 requests in flight at once — 2,500 pipe reads waiting for data and 7,500
//! regular-file reads and writes — in all four completion styles, with two threads burning
//! CPU. Every request completes exactly once, with its data, on whichever backend the
//! process runs (CI runs it again with `ALERTABLE_IO_BACKEND=threads`).
//!
//! On io_uring this outnumbers the ring's submission queue many times over and, without a
//! bound on what is in flight, the completion queue too: completions then spill into the
//! kernel's overflow list, which nothing reaps unless the reaper flushes it.

mod load;

use load::Load;

/// Every request completes exactly once (the count is checked per request).
#[test]
fn ten_thousand_requests_in_flight_all_complete_exactly_once() {
    let elapsed = load::run(Load {
        pipes: 2_500,
        file_requests: 7_500,
        burners: 2,
    });
    println!(
        "10,000 requests on {}: {:.3} s",
        alertable_io::backend_name(),
        elapsed.as_secs_f64()
    );
}
