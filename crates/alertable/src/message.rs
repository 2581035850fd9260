//! Thread message queues: [`post_thread_message`], [`get_message`], [`peek_message`],
//! [`post_quit_message`], and the message wait [`msg_wait`].
//!
//! A thread has a message queue once it has called a message function (or
//! [`ensure_message_queue`]); until then, posting to it fails with
//! [`PostMessageError::NoQueue`] — the start-up race of every Win32 program that posts to a
//! thread it has just created. When the thread exits, its queue goes with it.
//!
//! The queue holds posted messages, FIFO, and the quit request left by
//! [`post_quit_message`], which is reported after every posted message. It is a waitable
//! object of its thread: its state lives under the dispatcher lock like every object's
//! (dispatch.rs), posting wakes its waiter through its wait list, and [`msg_wait`] is the
//! ordinary wait algorithm with the queue as one more object after the caller's. So a ready
//! object with a lower index wins, the queue beats a pending APC (W4, H81), and
//! [`MsgWaitFlags::WAIT_ALL`] makes the queue part of an all-or-nothing wait (H82).
//!
//! # Queue state
//!
//! | field    | meaning                                           | set by             | cleared by |
//! |----------|---------------------------------------------------|--------------------|------------|
//! | `posted` | posted messages, oldest first                     | `post_thread_message` | `get_message`, `peek_message(Yes)` |
//! | `quit`   | the exit code of a pending quit request           | `post_quit_message` | retrieving it with removal |
//! | `new`    | the kinds of input that arrived since the queue was last examined (Win32's "changed" bits) | posting | `get_message`, `peek_message`, a `msg_wait` that the queue satisfies |
//!
//! What is *available* is derived: [`QueueStatus::POST_MESSAGE`] and
//! [`QueueStatus::ALL_POST_MESSAGE`] while a posted message or a quit request is queued.
//! Only posted messages exist here — no windows, input devices, timers, paint or sent
//! messages — so those two bits are the only ones a wait can ever be satisfied by.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use crate::dispatch::{self, Acquired, Dispatcher, Locked, WaitKind, WaitList, Waitable};
use crate::thread::{ThreadHandle, with_current};
use crate::wait::{self, MAXIMUM_WAIT_OBJECTS, WaitError, WaitStatus};

/// The most posted messages a queue holds; posting more fails with
/// [`PostMessageError::QueueFull`].
///
/// # Win32
///
/// The default of the `USERPostMessageLimit` registry value: 10,000 posted messages per
/// queue.
pub const POSTED_MESSAGE_LIMIT: usize = 10_000;

/// A posted message: an id and two word-sized parameters.
///
/// Ids below [`Message::USER`] are Win32's system messages; only [`Message::QUIT`] means
/// anything here (see [`get_message`]). Use [`Message::USER`] and up for a program's own.
///
/// # Examples
///
/// ```
/// use alertable::{Message, PeekRemove, peek_message, post_thread_message};
///
/// const PROGRESS: u32 = Message::USER + 1;
/// alertable::ensure_message_queue();
/// post_thread_message(&alertable::current(), Message::new(PROGRESS, 40, -1)).unwrap();
/// let m = peek_message(PeekRemove::Yes).unwrap();
/// assert_eq!((m.id, m.wparam, m.lparam), (PROGRESS, 40, -1));
/// ```
///
/// # Win32
///
/// `MSG`'s `message`, `wParam` and `lParam`, for a thread message (no window).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Message {
    /// What the message is. Win32: `MSG::message`.
    pub id: u32,
    /// The first parameter. Win32: `MSG::wParam` (`WPARAM`, unsigned).
    pub wparam: usize,
    /// The second parameter. Win32: `MSG::lParam` (`LPARAM`, signed).
    pub lparam: isize,
}

impl Message {
    /// The quit message: [`get_message`] reports it as [`GetMessage::Quit`] with the exit
    /// code in `wparam`. Win32: `WM_QUIT` (0x0012).
    pub const QUIT: u32 = 0x0012;
    /// The first id free for a program's own messages. Win32: `WM_USER` (0x0400).
    pub const USER: u32 = 0x0400;

    /// A message with this id and these parameters.
    pub const fn new(id: u32, wparam: usize, lparam: isize) -> Self {
        Self { id, wparam, lparam }
    }

    /// The quit message for `code`, as [`post_quit_message`] leaves it: `wparam` holds the
    /// code, sign-extended.
    pub const fn quit(code: i32) -> Self {
        Self::new(Self::QUIT, code as isize as usize, 0)
    }

    /// The exit code, if this is a quit message.
    pub const fn quit_code(&self) -> Option<i32> {
        if self.id == Self::QUIT {
            // The low 32 bits, as Win32's `(int)msg.wParam`.
            Some(self.wparam as i32)
        } else {
            None
        }
    }
}

/// What [`get_message`] retrieved.
///
/// # Win32
///
/// `GetMessage`'s return value: nonzero with a message, or 0 for `WM_QUIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum GetMessage {
    /// A posted message other than a quit message. Win32: a nonzero return.
    Message(Message),
    /// A quit message, with its exit code: the loop should end. Win32: 0, with `WM_QUIT`
    /// in the `MSG` and the code in its `wParam`.
    Quit(i32),
}

/// Whether [`peek_message`] removes the message it returns.
///
/// # Win32
///
/// `PeekMessage`'s `PM_REMOVE` / `PM_NOREMOVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeekRemove {
    /// Take the message out of the queue. Win32: `PM_REMOVE`.
    Yes,
    /// Leave it there. Win32: `PM_NOREMOVE`.
    No,
}

/// Why [`post_thread_message`] failed. The message was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PostMessageError {
    /// The thread has no message queue: it has not called a message function yet, or it
    /// has exited. Win32: `ERROR_INVALID_THREAD_ID` (1444).
    NoQueue,
    /// The queue already holds [`POSTED_MESSAGE_LIMIT`] messages. Win32:
    /// `ERROR_NOT_ENOUGH_QUOTA` (1816).
    QueueFull,
}

impl PostMessageError {
    /// The Win32 error code this corresponds to.
    pub fn win32_error(self) -> u32 {
        match self {
            Self::NoQueue => 1444,
            Self::QueueFull => 1816,
        }
    }
}

impl fmt::Display for PostMessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoQueue => f.write_str("the thread has no message queue"),
            Self::QueueFull => write!(
                f,
                "the message queue is full ({POSTED_MESSAGE_LIMIT} messages)"
            ),
        }
    }
}

impl std::error::Error for PostMessageError {}

bitflags::bitflags! {
    /// Kinds of queued input, as a set: the wake mask of [`msg_wait`].
    ///
    /// Only posted messages exist in this library, so only
    /// [`POST_MESSAGE`](Self::POST_MESSAGE) and [`ALL_POST_MESSAGE`](Self::ALL_POST_MESSAGE)
    /// are ever satisfied (by posted messages and quit requests alike; without message
    /// filters the two mean the same). The other bits are accepted, keep their Win32 values,
    /// and never wake a wait: a mask of only those makes `msg_wait` a wait on its objects
    /// alone.
    ///
    /// # Examples
    ///
    /// ```
    /// use alertable::QueueStatus;
    ///
    /// assert_eq!(QueueStatus::ALL_INPUT.bits(), 0x4ff);
    /// let mask = QueueStatus::POST_MESSAGE | QueueStatus::TIMER;
    /// assert!(mask.contains(QueueStatus::POST_MESSAGE));
    /// assert_eq!(QueueStatus::from_bits(0x18), Some(mask));
    /// assert_eq!(QueueStatus::from_bits(0x8000), None);
    /// ```
    ///
    /// # Win32
    ///
    /// The `QS_*` flags of `MsgWaitForMultipleObjectsEx`'s `dwWakeMask` (H83).
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
    pub struct QueueStatus: u32 {
        /// Keyboard input. Win32: `QS_KEY` (0x1). Never satisfied here.
        const KEY = 0x0001;
        /// Mouse movement. Win32: `QS_MOUSEMOVE` (0x2). Never satisfied here.
        const MOUSE_MOVE = 0x0002;
        /// Mouse buttons. Win32: `QS_MOUSEBUTTON` (0x4). Never satisfied here.
        const MOUSE_BUTTON = 0x0004;
        /// A posted message. Win32: `QS_POSTMESSAGE` (0x8).
        const POST_MESSAGE = 0x0008;
        /// A timer message. Win32: `QS_TIMER` (0x10). Never satisfied here.
        const TIMER = 0x0010;
        /// A paint message. Win32: `QS_PAINT` (0x20). Never satisfied here.
        const PAINT = 0x0020;
        /// A sent message. Win32: `QS_SENDMESSAGE` (0x40). Never satisfied here.
        const SEND_MESSAGE = 0x0040;
        /// A hot key. Win32: `QS_HOTKEY` (0x80). Never satisfied here.
        const HOTKEY = 0x0080;
        /// A posted message, whatever the filter. Win32: `QS_ALLPOSTMESSAGE` (0x100).
        const ALL_POST_MESSAGE = 0x0100;
        /// Raw input. Win32: `QS_RAWINPUT` (0x400). Never satisfied here.
        const RAW_INPUT = 0x0400;
        /// Mouse movement or buttons. Win32: `QS_MOUSE` (0x6).
        const MOUSE = 0x0006;
        /// Any device input. Win32: `QS_INPUT` (0x407).
        const INPUT = 0x0407;
        /// Everything but sent messages. Win32: `QS_ALLEVENTS` (0x4bf).
        const ALL_EVENTS = 0x04bf;
        /// Every kind of input: `INPUT | POST_MESSAGE | TIMER | PAINT | HOTKEY |
        /// SEND_MESSAGE`. Win32: `QS_ALLINPUT` (0x4ff).
        const ALL_INPUT = 0x04ff;
    }
}

bitflags::bitflags! {
    /// Options of [`msg_wait`], as a set.
    ///
    /// # Win32
    ///
    /// The `MWMO_*` flags of `MsgWaitForMultipleObjectsEx`'s `dwFlags`.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
    pub struct MsgWaitFlags: u32 {
        /// Wait for every object *and* input (the queue joins the all-or-nothing wait).
        /// Win32: `MWMO_WAITALL` (0x1).
        const WAIT_ALL = 0x0001;
        /// Run APCs, and return [`WaitStatus::Alerted`] once they have run. Win32:
        /// `MWMO_ALERTABLE` (0x2).
        const ALERTABLE = 0x0002;
        /// Count input that is queued even if the queue was examined since it arrived.
        /// Win32: `MWMO_INPUTAVAILABLE` (0x4).
        const INPUT_AVAILABLE = 0x0004;
    }
}

/// The bits a queued posted message or quit request makes available.
const POSTED: u32 = QueueStatus::POST_MESSAGE.bits() | QueueStatus::ALL_POST_MESSAGE.bits();

/// One thread's message queue (see the module's state table).
#[derive(Debug, Default)]
struct Queue {
    posted: VecDeque<Message>,
    quit: Option<i32>,
    new: u32,
}

impl Queue {
    /// What is queued, as `QS_*` bits.
    fn available(&self) -> u32 {
        if self.posted.is_empty() && self.quit.is_none() {
            0
        } else {
            POSTED
        }
    }

    /// The next message, posted ones before a quit request; examining the queue makes
    /// what is in it no longer new (H78).
    fn next(&mut self, remove: PeekRemove) -> Option<Message> {
        self.new = 0;
        if remove == PeekRemove::Yes {
            if let Some(message) = self.posted.pop_front() {
                return Some(message);
            }
            return self.quit.take().map(Message::quit);
        }
        self.posted
            .front()
            .copied()
            .or_else(|| self.quit.map(Message::quit))
    }
}

/// A thread's message queue slot, in its shared state: empty until the thread calls a
/// message function.
#[derive(Debug)]
pub(crate) struct ThreadMessages {
    queue: Locked<Option<Box<Queue>>>,
    /// The owner's wait on its queue, if it is in one (only the owner waits on it).
    waiters: WaitList,
}

impl ThreadMessages {
    pub(crate) fn new() -> Self {
        Self {
            queue: Locked::new(None),
            waiters: WaitList::new(),
        }
    }

    /// Runs `f` on the queue, creating it first if need be. Owner only: a thread's queue
    /// is created by the thread itself.
    fn with_queue<R>(&self, lock: &mut Dispatcher, f: impl FnOnce(&mut Queue) -> R) -> R {
        self.queue
            .with_mut(lock, |queue| f(queue.get_or_insert_with(Box::default)))
    }

    /// Drops the queue and what is in it; the thread is exiting.
    pub(crate) fn destroy(&self, lock: &mut Dispatcher) {
        self.queue.with_mut(lock, |queue| *queue = None);
    }
}

/// The calling thread's queue as an object of a wait: ready when it holds input of the
/// wake mask that is new — or just queued, with `INPUT_AVAILABLE` (H78, H79).
struct QueueWait<'a> {
    messages: &'a ThreadMessages,
    mask: u32,
    input_available: bool,
}

impl Waitable for QueueWait<'_> {
    fn wait_list(&self) -> &WaitList {
        &self.messages.waiters
    }

    fn is_ready(&self, lock: &Dispatcher, _waiter: &ThreadHandle) -> bool {
        self.messages.queue.with(lock, |queue| {
            queue.as_ref().is_some_and(|queue| {
                let mut bits = queue.new;
                if self.input_available {
                    bits |= queue.available();
                }
                bits & self.mask != 0
            })
        })
    }

    /// Reporting the input examines the queue: what it reported is no longer new.
    fn acquire(&self, lock: &mut Dispatcher, _waiter: &ThreadHandle) -> Acquired {
        self.messages.queue.with_mut(lock, |queue| {
            if let Some(queue) = queue {
                queue.new = 0;
            }
        });
        Acquired::Normal
    }
}

/// Creates the calling thread's message queue, if it has none yet, so that other threads
/// can post to it.
///
/// Every message function does this on its first call; calling it early, before the
/// thread tells anyone it is ready, closes the start-up race in which a message posted to
/// a thread that has not reached its message loop yet is refused.
///
/// # Examples
///
/// ```
/// use alertable::{GetMessage, Message, get_message, post_thread_message};
/// use std::sync::mpsc;
///
/// let (ready, is_ready) = mpsc::channel();
/// let worker = alertable::spawn(move || {
///     alertable::ensure_message_queue();
///     ready.send(()).unwrap();
///     // ... set-up that takes a while; messages posted meanwhile wait in the queue ...
///     get_message()
/// })
/// .unwrap();
/// is_ready.recv().unwrap();
/// post_thread_message(worker.thread(), Message::new(Message::USER, 1, 2)).unwrap();
/// assert_eq!(worker.join().unwrap(), GetMessage::Message(Message::new(Message::USER, 1, 2)));
/// ```
///
/// # Win32
///
/// The idiom `PeekMessage(&msg, NULL, WM_USER, WM_USER, PM_NOREMOVE)`, which makes Windows
/// create the calling thread's queue.
pub fn ensure_message_queue() {
    with_current(|ctx| {
        let mut lock = Dispatcher::lock();
        ctx.thread().inner.messages.with_queue(&mut lock, |_| ());
    });
}

/// Posts `message` to the message queue of `thread`, to be retrieved there with
/// [`get_message`] or [`peek_message`]; returns at once.
///
/// Messages are retrieved in the order they were posted. A message with id
/// [`Message::QUIT`] is an ordinary posted message in that order; [`get_message`] then
/// reports it as [`GetMessage::Quit`]. Posting wakes the thread if it waits for input in
/// [`get_message`] or [`msg_wait`]. Calling it creates the *caller's* queue (it is a
/// message function), never the target's.
///
/// # Examples
///
/// ```
/// use alertable::{GetMessage, Message, PostMessageError, get_message, post_thread_message};
/// use std::sync::mpsc;
///
/// let (ready, is_ready) = mpsc::channel();
/// let worker = alertable::Builder::new()
///     .suspended(true)
///     .spawn(move || {
///         alertable::ensure_message_queue();
///         ready.send(()).unwrap();
///         get_message()
///     })
///     .unwrap();
/// // The worker has not run, so it has no queue: the classic start-up race.
/// let hello = Message::new(Message::USER, 7, 0);
/// assert_eq!(post_thread_message(worker.thread(), hello), Err(PostMessageError::NoQueue));
/// worker.thread().resume().unwrap();
/// is_ready.recv().unwrap();
/// post_thread_message(worker.thread(), hello).unwrap();
/// assert_eq!(worker.join().unwrap(), GetMessage::Message(hello));
/// ```
///
/// # Errors
///
/// - [`PostMessageError::NoQueue`] if `thread` has not created its queue yet or has exited
///   (`ERROR_INVALID_THREAD_ID`, 1444);
/// - [`PostMessageError::QueueFull`] if its queue holds [`POSTED_MESSAGE_LIMIT`] messages.
///
/// # Win32
///
/// `PostThreadMessage(idThread, Msg, wParam, lParam)`.
pub fn post_thread_message(
    thread: &ThreadHandle,
    message: Message,
) -> Result<(), PostMessageError> {
    with_current(|ctx| {
        let mut lock = Dispatcher::lock();
        ctx.thread().inner.messages.with_queue(&mut lock, |_| ());
        // The exit flag is set under this lock (thread.rs `exit`), after the queue is gone.
        if thread.is_finished() {
            return Err(PostMessageError::NoQueue);
        }
        let target = &thread.inner.messages;
        target.queue.with_mut(&mut lock, |queue| {
            let queue = queue.as_mut().ok_or(PostMessageError::NoQueue)?;
            if queue.posted.len() >= POSTED_MESSAGE_LIMIT {
                return Err(PostMessageError::QueueFull);
            }
            queue.posted.push_back(message);
            queue.new |= POSTED;
            Ok(())
        })?;
        target.waiters.wake_waiters(&mut lock);
        Ok(())
    })
}

impl ThreadHandle {
    /// Posts `message` to this thread's message queue; see [`post_thread_message`].
    ///
    /// # Errors
    ///
    /// [`PostMessageError::NoQueue`] if the thread has no queue yet or has exited;
    /// [`PostMessageError::QueueFull`] if its queue is full.
    ///
    /// # Win32
    ///
    /// `PostThreadMessage`.
    pub fn post_message(&self, message: Message) -> Result<(), PostMessageError> {
        post_thread_message(self, message)
    }
}

/// Asks the calling thread's message loop to end: leaves a quit request with exit code
/// `code` in its queue, which [`get_message`] reports as [`GetMessage::Quit`] once every
/// message posted before *or after* it has been retrieved. A second request replaces the
/// first one's code.
///
/// # Examples
///
/// ```
/// use alertable::{GetMessage, Message, get_message, post_quit_message, post_thread_message};
///
/// post_quit_message(3);
/// post_thread_message(&alertable::current(), Message::new(Message::USER, 0, 0)).unwrap();
/// // Posted messages come first, even those posted after the quit request.
/// assert!(matches!(get_message(), GetMessage::Message(_)));
/// assert_eq!(get_message(), GetMessage::Quit(3));
/// ```
///
/// # Win32
///
/// `PostQuitMessage(nExitCode)`, which produces `WM_QUIT` when the queue has nothing else.
pub fn post_quit_message(code: i32) {
    with_current(|ctx| {
        let messages = &ctx.thread().inner.messages;
        let mut lock = Dispatcher::lock();
        messages.with_queue(&mut lock, |queue| {
            queue.quit = Some(code);
            queue.new |= POSTED;
        });
        messages.waiters.wake_waiters(&mut lock);
    });
}

/// Retrieves the next message from the calling thread's queue, waiting until there is one.
///
/// Posted messages come first, in order; then a quit request of [`post_quit_message`].
/// A quit message (either kind) is returned as [`GetMessage::Quit`] with its code; the
/// loop that gets it should end.
///
/// The wait is **not alertable**: APCs queued meanwhile stay queued, however long the
/// thread waits here. A message loop that must run APCs waits in [`msg_wait`] with
/// [`MsgWaitFlags::ALERTABLE`] instead, or — for an event loop built on `poll` — watches
/// an [`ApcNotifier`](crate::ApcNotifier).
///
/// # Examples
///
/// ```
/// use alertable::{GetMessage, Message, get_message};
/// use std::sync::mpsc;
///
/// let (ready, is_ready) = mpsc::channel();
/// let ui = alertable::spawn(move || {
///     alertable::ensure_message_queue();
///     ready.send(()).unwrap();
///     let mut seen = Vec::new();
///     loop {
///         match get_message() {
///             GetMessage::Message(m) => seen.push(m.wparam),
///             GetMessage::Quit(code) => return (seen, code),
///         }
///     }
/// })
/// .unwrap();
/// is_ready.recv().unwrap();
/// ui.thread().post_message(Message::new(Message::USER, 1, 0)).unwrap();
/// ui.thread().post_message(Message::new(Message::USER, 2, 0)).unwrap();
/// ui.thread().post_message(Message::quit(0)).unwrap();
/// assert_eq!(ui.join().unwrap(), (vec![1, 2], 0));
/// ```
///
/// # Win32
///
/// `GetMessage(&msg, NULL, 0, 0)`: `Quit(code)` is its 0 return with `WM_QUIT`.
pub fn get_message() -> GetMessage {
    with_current(|ctx| {
        let messages = &ctx.thread().inner.messages;
        loop {
            let mut lock = Dispatcher::lock();
            if let Some(message) = messages.with_queue(&mut lock, |q| q.next(PeekRemove::Yes)) {
                return match message.quit_code() {
                    Some(code) => GetMessage::Quit(code),
                    None => GetMessage::Message(message),
                };
            }
            drop(lock);
            let queue = QueueWait {
                messages,
                mask: POSTED,
                input_available: true,
            };
            // Not alertable, no deadline: it ends only when the queue is ready, and only
            // this thread takes from its queue, so the next turn finds a message.
            let _ = dispatch::wait(ctx, &[&queue], WaitKind::Any, None, false, false, None);
        }
    })
}

/// Looks at the calling thread's queue without waiting: returns the next message, if any,
/// and removes it if `remove` is [`PeekRemove::Yes`].
///
/// The order is that of [`get_message`]: posted messages, then a quit request, which comes
/// back as a message with id [`Message::QUIT`] and the code in `wparam`
/// ([`Message::quit_code`]). Looking counts as examining the queue: what is in it no longer
/// wakes a [`msg_wait`] without [`MsgWaitFlags::INPUT_AVAILABLE`] (H78).
///
/// # Examples
///
/// ```
/// use alertable::{Message, PeekRemove, peek_message, post_quit_message};
///
/// assert_eq!(peek_message(PeekRemove::Yes), None);
/// post_quit_message(5);
/// let quit = peek_message(PeekRemove::No).unwrap(); // still queued
/// assert_eq!(quit.quit_code(), Some(5));
/// assert_eq!(peek_message(PeekRemove::Yes), Some(quit));
/// assert_eq!(peek_message(PeekRemove::Yes), None);
/// ```
///
/// # Win32
///
/// `PeekMessage(&msg, NULL, 0, 0, PM_REMOVE or PM_NOREMOVE)`.
pub fn peek_message(remove: PeekRemove) -> Option<Message> {
    with_current(|ctx| {
        let mut lock = Dispatcher::lock();
        ctx.thread()
            .inner
            .messages
            .with_queue(&mut lock, |queue| queue.next(remove))
    })
}

/// Waits until one of `objects` is signaled, input of a kind in `wake_mask` is in the
/// calling thread's message queue, an APC runs (with [`MsgWaitFlags::ALERTABLE`]), or the
/// timeout passes (`None`: forever).
///
/// - The queue counts as object number `objects.len()`: input returns
///   [`WaitStatus::Signaled`]`(objects.len())` (H77), and an object with a lower index that
///   is signaled wins over it. Nothing is removed from the queue.
/// - Without [`MsgWaitFlags::INPUT_AVAILABLE`], only input that arrived since the queue was
///   last examined counts — by [`get_message`], [`peek_message`], or a `msg_wait` that
///   reported input (H78); with it, any queued input does (H79).
/// - Without [`MsgWaitFlags::ALERTABLE`], pending APCs are left alone (H80). With it, they
///   run and the wait returns [`WaitStatus::Alerted`] — unless input (or an object) is
///   ready, which wins: the APCs then stay queued for the next wait (H81). A pending
///   [thread alert](crate::alert_thread) ends it too, with [`WaitStatus::ThreadAlerted`].
/// - With [`MsgWaitFlags::WAIT_ALL`], the wait needs every object *and* input at one
///   instant, acquires them all together, and returns `Signaled(0)` (H82).
///
/// Only posted messages exist here, so of `wake_mask` only [`QueueStatus::POST_MESSAGE`]
/// and [`QueueStatus::ALL_POST_MESSAGE`] can be satisfied (H83).
///
/// # Examples
///
/// The alertable message loop: wait for input or APCs, then empty the queue.
///
/// ```
/// use alertable::{Message, MsgWaitFlags, PeekRemove, QueueStatus, msg_wait, peek_message};
///
/// let me = alertable::current();
/// me.queue_apc(|| println!("an APC, run by the loop")).unwrap();
/// alertable::ensure_message_queue();
/// me.post_message(Message::new(Message::USER, 1, 0)).unwrap();
/// me.post_message(Message::quit(0)).unwrap();
///
/// let code = 'run: loop {
///     msg_wait(
///         &[],
///         None,
///         QueueStatus::ALL_INPUT,
///         MsgWaitFlags::ALERTABLE | MsgWaitFlags::INPUT_AVAILABLE,
///     )
///     .unwrap();
///     while let Some(message) = peek_message(PeekRemove::Yes) {
///         if let Some(code) = message.quit_code() {
///             break 'run code;
///         }
///         println!("message {:#x}", message.id);
///     }
/// };
/// assert_eq!(code, 0);
/// // Input won over the APC (H81): the messages ended the loop before it ran.
/// assert!(alertable::test_alert());
/// ```
///
/// # Errors
///
/// [`WaitError::TooManyObjects`] for more than 63 objects (the queue takes the 64th slot,
/// H82), and [`WaitError::DuplicateObject`] if an object appears twice in a
/// [`MsgWaitFlags::WAIT_ALL`] wait. Nothing is waited on or consumed then.
///
/// # Panics
///
/// A panic in an APC unwinds out of the wait; the APCs behind it stay queued.
///
/// # Win32
///
/// `MsgWaitForMultipleObjectsEx(n, handles, ms, dwWakeMask, dwFlags)`; the non-`Ex`
/// `MsgWaitForMultipleObjects(n, handles, fWaitAll, ms, dwWakeMask)` is the same with
/// `WAIT_ALL` for `fWaitAll` (H83).
pub fn msg_wait(
    objects: &[&dyn Waitable],
    timeout: Option<Duration>,
    wake_mask: QueueStatus,
    flags: MsgWaitFlags,
) -> Result<WaitStatus, WaitError> {
    if objects.len() >= MAXIMUM_WAIT_OBJECTS {
        return Err(WaitError::TooManyObjects);
    }
    let kind = if flags.contains(MsgWaitFlags::WAIT_ALL) {
        wait::check_distinct(objects)?;
        WaitKind::All
    } else {
        WaitKind::Any
    };
    let zero = timeout == Some(Duration::ZERO);
    let deadline = wait::deadline_after(timeout);
    let outcome = with_current(|ctx| {
        let messages = &ctx.thread().inner.messages;
        messages.with_queue(&mut Dispatcher::lock(), |_| ());
        let queue = QueueWait {
            messages,
            mask: wake_mask.bits(),
            input_available: flags.contains(MsgWaitFlags::INPUT_AVAILABLE),
        };
        let queue: &dyn Waitable = &queue;
        // The caller's objects, then the queue.
        let mut all = [queue; MAXIMUM_WAIT_OBJECTS];
        all[..objects.len()].copy_from_slice(objects);
        dispatch::wait(
            ctx,
            &all[..=objects.len()],
            kind,
            deadline,
            zero,
            flags.contains(MsgWaitFlags::ALERTABLE),
            None,
        )
    })
    .map_err(WaitError::SignalFailed)?;
    Ok(wait::status_of(outcome))
}
