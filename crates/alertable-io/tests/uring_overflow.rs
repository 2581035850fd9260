//! The io_uring backend with a completion queue of 4 entries and no bound on what is in
//! flight: completions spill into the kernel's overflow list again and again (a burst of
//! pipe reads completing at once, while file requests complete too). Nothing is lost:
//! every request completes exactly once with its data, and the overflow really happened.
//!
//! A process of its own: the ring is sized before the backend is chosen. On the worker
//! threads (`ALERTABLE_IO_BACKEND=threads`) the sizes have no effect and the load runs
//! as it is.

mod load;

use load::Load;

#[test]
fn completions_the_kernel_holds_back_are_all_delivered() {
    assert!(alertable_io::configure_ring_for_tests(2, 4, Some(100_000)));
    load::run(Load {
        pipes: 400,
        file_requests: 400,
        burners: 2,
    });
    if alertable_io::backend_name() == "io_uring" {
        assert!(
            alertable_io::ring_overflow_flushes() > 0,
            "the completion queue never overflowed: the test tests nothing"
        );
    }
}
