//! The `ports` workload: completion ports closed under their waiters.
//!
//! Each round makes a port with a random concurrency value, starts up to four threads that
//! take packets from it — `get`, alertable `get_many`, or waiting on the port as an object —
//! posts a random number of packets, and closes the port at a random moment. Every waiter
//! must return: a taker with `Closed` once the port is closed, an object waiter with
//! `Signaled(0)` (L131); posting and taking after the close fail with `Closed`; no packet
//! is taken twice, and none that was not posted.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use alertable::{Alertable, WaitStatus};
use alertable_io::{CompletionPacket, CompletionPort, PortError};

use super::{Counter, Rng, Soak};

const WORKLOAD: &str = "ports";

/// How a waiter waits on the port.
#[derive(Debug, Clone, Copy)]
enum Taker {
    Get,
    GetMany,
    Object,
}

pub(super) fn run(soak: &Arc<Soak>) {
    let rounds = soak.headline(WORKLOAD, "ports closed");
    let packets = soak.counter(WORKLOAD, "packets taken");
    let waiters = soak.counter(WORKLOAD, "waiters released");
    let mut rng = soak.rng(WORKLOAD, 0);
    while soak.running() {
        round(soak, &mut rng, &packets, &waiters);
        rounds.inc();
    }
}

fn round(soak: &Arc<Soak>, rng: &mut Rng, taken_count: &Counter, released: &Counter) {
    let port = CompletionPort::new(rng.between(0, 3) as u32);
    let mut threads = Vec::new();
    for _ in 0..rng.between(1, 4) {
        let taker = match rng.below(3) {
            0 => Taker::Get,
            1 => Taker::GetMany,
            _ => Taker::Object,
        };
        let port = port.clone();
        let soak2 = Arc::clone(soak);
        let thread = super::spawn(soak, WORKLOAD, move || take(&soak2, &port, taker));
        threads.push((taker, thread));
    }
    let posts = rng.below(24);
    let close_after = rng.below(posts + 1);
    let mut posted = HashSet::new();
    for token in 0..posts {
        if token == close_after {
            close(&port, rng);
        }
        let packet = CompletionPacket::new(7, token as usize, Ok(token as usize));
        match port.post(packet) {
            Ok(()) if token < close_after => {
                posted.insert(token as usize);
            }
            Err(PortError::Closed) if token >= close_after => {}
            outcome => soak.violation(
                WORKLOAD,
                format_args!(
                    "posting packet {token} {} the close returned {outcome:?} (L131)",
                    if token < close_after {
                        "before"
                    } else {
                        "after"
                    }
                ),
            ),
        }
        if rng.percent(20) {
            std::thread::yield_now();
        }
    }
    if close_after == posts {
        close(&port, rng);
    }
    match port.get(Some(Duration::ZERO)) {
        Err(PortError::Closed) => {}
        other => soak.violation(
            WORKLOAD,
            format_args!("taking from a closed port returned {other:?}, not Closed (L131)"),
        ),
    }

    let mut seen = HashSet::new();
    for (taker, thread) in threads {
        let Some(Some(tokens)) = super::join(soak, WORKLOAD, "a port waiter", thread) else {
            continue;
        };
        released.inc();
        for token in tokens {
            taken_count.inc();
            if !posted.contains(&token) || !seen.insert(token) {
                soak.violation(
                    WORKLOAD,
                    format_args!("a {taker:?} waiter took packet {token}, which was not posted or was taken before"),
                );
            }
        }
    }
}

/// Closes the port, after letting the waiters settle now and then.
fn close(port: &CompletionPort, rng: &mut Rng) {
    if rng.percent(50) {
        std::thread::sleep(Duration::from_micros(rng.below(500)));
    }
    port.close();
}

/// A waiter: takes packets until the port is closed; returns the tokens taken.
fn take(soak: &Soak, port: &CompletionPort, taker: Taker) -> Vec<usize> {
    let mut tokens = Vec::new();
    loop {
        match taker {
            Taker::Get => match port.get(None) {
                Ok(packet) => tokens.push(packet.token),
                Err(PortError::Closed) => return tokens,
                Err(error) => {
                    soak.violation(WORKLOAD, format_args!("get returned {error:?}"));
                    return tokens;
                }
            },
            Taker::GetMany => {
                let mut batch = Vec::new();
                match port.get_many(&mut batch, 4, None, Alertable::Yes) {
                    Ok(_) => tokens.extend(batch.iter().map(|p| p.token)),
                    Err(PortError::Closed) => return tokens,
                    Err(PortError::Alerted) => {}
                    Err(error) => {
                        soak.violation(WORKLOAD, format_args!("get_many returned {error:?}"));
                        return tokens;
                    }
                }
            }
            Taker::Object => {
                match alertable::wait_one(port, None, Alertable::No) {
                    Ok(WaitStatus::Signaled(0)) if port.is_closed() => return tokens,
                    // Signaled by a queued packet: the wait does not take it (L128).
                    Ok(WaitStatus::Signaled(0)) => std::thread::yield_now(),
                    other => {
                        soak.violation(
                            WORKLOAD,
                            format_args!("a wait on a port returned {other:?} (L128, L131)"),
                        );
                        return tokens;
                    }
                }
            }
        }
    }
}
