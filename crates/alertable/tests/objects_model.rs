//! Spec sections D, E, F, G and I, model-based: random sequences of operations on a set of
//! objects, each step checked against a plain reference model of the Win32 semantics —
//! `set`/`reset`/`pulse` (E56–E59), semaphore releases and their limits (F64–F66), mutex
//! ownership, recursion and abandonment (G68–G70, G72, G74), zero-timeout `wait_any`
//! (lowest ready index, only that object acquired: D45, E60) and `wait_all` (all or
//! nothing: D49, F66, G75), thread handles (C36) and `signal_and_wait` (I86–I89).
//!
//! Single-threaded: with no other thread waiting, `pulse` is a reset, and every wait has a
//! zero timeout. After every step the return value and every object's observable state
//! (`is_set`, `count`) must match the model; at the end the mutex's recursion count and
//! abandonment are checked by releasing and re-acquiring it.

use std::sync::OnceLock;
use std::time::Duration;

use alertable::{
    Alertable, Event, EventReset, Mutex, Semaphore, Signal, SyncError, ThreadHandle, WaitError,
    WaitStatus, Waitable, signal_and_wait, wait_all, wait_any, wait_one,
};
use proptest::prelude::*;
use proptest::sample::subsequence;

const POLL: Option<Duration> = Some(Duration::ZERO);
const SEM_MAX: u32 = 3;

// Object indices. 0, 1: manual events; 2, 3: auto events; 4: semaphore (max 3); 5: a mutex
// this thread may own; 6: a mutex owned by another, live thread; 7: the handle of an
// exited thread; 8: the handle of a live thread.
const EVENTS: usize = 4;
const SEM: usize = 4;
const MUTEX: usize = 5;
const FOREIGN_MUTEX: usize = 6;
const EXITED: usize = 7;
const RUNNING: usize = 8;
const OBJECTS: usize = 9;
/// The objects that can be signaled: the events, the semaphore and both mutexes.
const SIGNALS: usize = 7;

/// A mutex owned forever by a thread that never exits, that thread's handle, and the
/// handle of a thread that has exited. Shared by all cases: none of them ever changes.
struct Fixed {
    foreign_mutex: Mutex,
    running: ThreadHandle,
    exited: ThreadHandle,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        let running = alertable::spawn(move || {
            tx.send(Mutex::new(true)).unwrap();
            // Never exits: the mutex stays owned and the handle unsignaled.
            loop {
                std::thread::park();
            }
        })
        .unwrap();
        let foreign_mutex = rx.recv().unwrap();
        let done = alertable::spawn(|| ()).unwrap();
        let exited = done.thread().clone();
        done.join().unwrap();
        Fixed {
            foreign_mutex,
            running: running.thread().clone(),
            exited,
        }
    })
}

/// How the mutex at index 5 starts.
#[derive(Debug, Clone, Copy)]
enum MutexStart {
    Free,
    /// Owned by this thread, acquired this many times.
    Owned(u32),
    /// Abandoned by a thread that acquired it and exited.
    Abandoned,
}

#[derive(Debug, Clone)]
enum Op {
    Set(usize),
    Reset(usize),
    Pulse(usize),
    Release(u32),
    ReleaseMutex {
        foreign: bool,
    },
    WaitAny(Vec<usize>),
    /// Distinct indices.
    WaitAll(Vec<usize>),
    SignalAndWait {
        signal: usize,
        wait: usize,
    },
}

// ---------------------------------------------------------------------------------------
// The reference model.

#[derive(Debug, Clone)]
struct Model {
    events: [bool; EVENTS],
    count: u32,
    /// Acquisitions of the mutex by this thread; 0 means free (the only other owner it can
    /// have is an exited one, which makes it free and abandoned).
    recursion: u32,
    abandoned: bool,
}

impl Model {
    fn ready(&self, i: usize) -> bool {
        match i {
            0..EVENTS => self.events[i],
            SEM => self.count > 0,
            // Free, or owned by this thread.
            MUTEX => true,
            FOREIGN_MUTEX | RUNNING => false,
            EXITED => true,
            _ => unreachable!(),
        }
    }

    /// Acquires object `i`, which is ready; returns whether it was an abandoned mutex.
    fn acquire(&mut self, i: usize) -> bool {
        match i {
            0 | 1 => false,
            2 | 3 => {
                self.events[i] = false;
                false
            }
            SEM => {
                self.count -= 1;
                false
            }
            MUTEX => {
                let abandoned = self.recursion == 0 && self.abandoned;
                if self.recursion == 0 {
                    self.abandoned = false;
                }
                self.recursion += 1;
                abandoned
            }
            EXITED => false,
            _ => unreachable!("object {i} is never ready"),
        }
    }

    fn wait_any(&mut self, objects: &[usize]) -> WaitStatus {
        match objects.iter().position(|&o| self.ready(o)) {
            None => WaitStatus::TimedOut,
            Some(i) if self.acquire(objects[i]) => WaitStatus::Abandoned(i),
            Some(i) => WaitStatus::Signaled(i),
        }
    }

    fn wait_all(&mut self, objects: &[usize]) -> WaitStatus {
        if !objects.iter().all(|&o| self.ready(o)) {
            return WaitStatus::TimedOut;
        }
        let mut abandoned = false;
        for &o in objects {
            abandoned |= self.acquire(o);
        }
        if abandoned {
            WaitStatus::Abandoned(0)
        } else {
            WaitStatus::Signaled(0)
        }
    }

    fn release(&mut self, n: u32) -> Result<u32, SyncError> {
        if n == 0 {
            return Err(SyncError::InvalidParameter);
        }
        let previous = self.count;
        if previous + n > SEM_MAX {
            return Err(SyncError::TooManyPosts);
        }
        self.count += n;
        Ok(previous)
    }

    fn release_mutex(&mut self, foreign: bool) -> Result<(), SyncError> {
        if foreign || self.recursion == 0 {
            return Err(SyncError::NotOwner);
        }
        self.recursion -= 1;
        Ok(())
    }

    fn signal(&mut self, i: usize) -> Result<(), SyncError> {
        match i {
            0..EVENTS => {
                self.events[i] = true;
                Ok(())
            }
            SEM => self.release(1).map(drop),
            MUTEX => self.release_mutex(false),
            FOREIGN_MUTEX => self.release_mutex(true),
            _ => unreachable!(),
        }
    }

    fn apply(&mut self, op: &Op) -> Outcome {
        match op {
            Op::Set(i) => {
                self.events[*i] = true;
                Outcome::Unit
            }
            // No thread waits, so a pulse only leaves the event reset (E57).
            Op::Reset(i) | Op::Pulse(i) => {
                self.events[*i] = false;
                Outcome::Unit
            }
            Op::Release(n) => Outcome::Release(self.release(*n)),
            Op::ReleaseMutex { foreign } => Outcome::ReleaseMutex(self.release_mutex(*foreign)),
            Op::WaitAny(objects) => Outcome::Wait(Ok(self.wait_any(objects))),
            Op::WaitAll(objects) => Outcome::Wait(Ok(self.wait_all(objects))),
            Op::SignalAndWait { signal, wait } => Outcome::Wait(match self.signal(*signal) {
                Err(e) => Err(WaitError::SignalFailed(e)),
                Ok(()) => Ok(self.wait_any(&[*wait])),
            }),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Unit,
    Release(Result<u32, SyncError>),
    ReleaseMutex(Result<(), SyncError>),
    Wait(Result<WaitStatus, WaitError>),
}

// ---------------------------------------------------------------------------------------
// The real objects.

struct Real {
    events: Vec<Event>,
    sem: Semaphore,
    mutex: Mutex,
}

impl Real {
    fn new(events: [bool; EVENTS], count: u32, mutex: MutexStart) -> Self {
        let events = events
            .iter()
            .enumerate()
            .map(|(i, &set)| {
                let reset = if i < 2 {
                    EventReset::Manual
                } else {
                    EventReset::Auto
                };
                Event::new(reset, set)
            })
            .collect();
        let mutex = match mutex {
            MutexStart::Free => Mutex::new(false),
            MutexStart::Owned(times) => {
                let m = Mutex::new(true);
                for _ in 1..times {
                    assert_eq!(
                        wait_one(&m, POLL, Alertable::No),
                        Ok(WaitStatus::Signaled(0))
                    );
                }
                m
            }
            MutexStart::Abandoned => {
                let m = Mutex::new(false);
                let theirs = m.clone();
                alertable::spawn(move || {
                    assert_eq!(
                        wait_one(&theirs, POLL, Alertable::No),
                        Ok(WaitStatus::Signaled(0))
                    );
                })
                .unwrap()
                .join()
                .unwrap();
                m
            }
        };
        Self {
            events,
            sem: Semaphore::new(count, SEM_MAX).unwrap(),
            mutex,
        }
    }

    fn object(&self, i: usize) -> &dyn Waitable {
        match i {
            0..EVENTS => &self.events[i],
            SEM => &self.sem,
            MUTEX => &self.mutex,
            FOREIGN_MUTEX => &fixed().foreign_mutex,
            EXITED => &fixed().exited,
            RUNNING => &fixed().running,
            _ => unreachable!(),
        }
    }

    fn signal(&self, i: usize) -> &dyn Signal {
        match i {
            0..EVENTS => &self.events[i],
            SEM => &self.sem,
            MUTEX => &self.mutex,
            FOREIGN_MUTEX => &fixed().foreign_mutex,
            _ => unreachable!(),
        }
    }

    fn objects(&self, indices: &[usize]) -> Vec<&dyn Waitable> {
        indices.iter().map(|&i| self.object(i)).collect()
    }

    fn apply(&self, op: &Op) -> Outcome {
        match op {
            Op::Set(i) => {
                self.events[*i].set();
                Outcome::Unit
            }
            Op::Reset(i) => {
                self.events[*i].reset();
                Outcome::Unit
            }
            Op::Pulse(i) => {
                self.events[*i].pulse();
                Outcome::Unit
            }
            Op::Release(n) => Outcome::Release(self.sem.release(*n)),
            Op::ReleaseMutex { foreign: false } => Outcome::ReleaseMutex(self.mutex.release()),
            Op::ReleaseMutex { foreign: true } => {
                Outcome::ReleaseMutex(fixed().foreign_mutex.release())
            }
            Op::WaitAny(indices) => {
                Outcome::Wait(wait_any(&self.objects(indices), POLL, Alertable::No))
            }
            Op::WaitAll(indices) => {
                Outcome::Wait(wait_all(&self.objects(indices), POLL, Alertable::Yes))
            }
            Op::SignalAndWait { signal, wait } => Outcome::Wait(signal_and_wait(
                self.signal(*signal),
                self.object(*wait),
                POLL,
                Alertable::No,
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Strategies.

fn mutex_start() -> impl Strategy<Value = MutexStart> {
    prop_oneof![
        Just(MutexStart::Free),
        (1..=3u32).prop_map(MutexStart::Owned),
        Just(MutexStart::Abandoned),
    ]
}

/// Subsets of the six objects that can change, or (less often) of all nine.
fn distinct_objects() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        3 => subsequence((0..=MUTEX).collect::<Vec<_>>(), 1..=4),
        1 => subsequence((0..OBJECTS).collect::<Vec<_>>(), 1..=4),
    ]
    .prop_shuffle()
}

/// Lists for a wait-any: duplicates allowed.
fn any_objects() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        3 => prop::collection::vec(0..=MUTEX, 1..=4),
        1 => prop::collection::vec(0..OBJECTS, 1..=4),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..EVENTS).prop_map(Op::Set),
        1 => (0..EVENTS).prop_map(Op::Reset),
        1 => (0..EVENTS).prop_map(Op::Pulse),
        2 => (0..=4u32).prop_map(Op::Release),
        2 => prop_oneof![4 => Just(false), 1 => Just(true)]
            .prop_map(|foreign| Op::ReleaseMutex { foreign }),
        4 => any_objects().prop_map(Op::WaitAny),
        4 => distinct_objects().prop_map(Op::WaitAll),
        2 => (0..SIGNALS, 0..OBJECTS).prop_map(|(signal, wait)| Op::SignalAndWait { signal, wait }),
    ]
}

// ---------------------------------------------------------------------------------------
// The property.

/// Compares every object's observable state; `when` names the step for the message.
fn check_state(model: &Model, real: &Real, when: &str) -> Result<(), TestCaseError> {
    for (i, e) in real.events.iter().enumerate() {
        prop_assert_eq!(e.is_set(), model.events[i], "event {} {}", i, when);
    }
    prop_assert_eq!(real.sem.count(), model.count, "semaphore {}", when);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// D, E, F, G, I: every step of a random operation sequence returns what the model
    /// returns and leaves every object as the model says.
    #[test]
    fn objects_follow_the_win32_model(
        events in prop::array::uniform4(any::<bool>()),
        count in 0..=SEM_MAX,
        start in mutex_start(),
        ops in prop::collection::vec(op(), 1..=40),
    ) {
        let real = Real::new(events, count, start);
        let mut model = Model {
            events,
            count,
            recursion: match start {
                MutexStart::Owned(times) => times,
                MutexStart::Free | MutexStart::Abandoned => 0,
            },
            abandoned: matches!(start, MutexStart::Abandoned),
        };
        check_state(&model, &real, "initially")?;
        for (step, op) in ops.iter().enumerate() {
            let expected = model.apply(op);
            let actual = real.apply(op);
            prop_assert_eq!(&actual, &expected, "step {} ({:?})", step, op);
            check_state(&model, &real, &format!("after step {step} ({op:?})"))?;
        }
        // The mutex: owned exactly `recursion` times, and abandoned if the model says so.
        for i in 0..model.recursion {
            prop_assert_eq!(real.mutex.release(), Ok(()), "final release {}", i);
        }
        prop_assert_eq!(real.mutex.release(), Err(SyncError::NotOwner));
        let expected = if model.abandoned {
            WaitStatus::Abandoned(0)
        } else {
            WaitStatus::Signaled(0)
        };
        prop_assert_eq!(wait_one(&real.mutex, POLL, Alertable::No), Ok(expected));
        prop_assert_eq!(real.mutex.release(), Ok(()));
    }
}
