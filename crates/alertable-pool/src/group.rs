//! Cleanup groups: [`CleanupGroup`], which closes its members together.
//!
//! - (G1) A member is recorded (weakly) when it is created with an environment that names
//!   the group; closing the members closes each one that still exists — no new
//!   submissions, timers and waits stopped — optionally cancels what is pending, and waits
//!   for what runs. When it returns, no callback of any member runs, or will.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::callback::Tracker;

/// What a cleanup group does to a member (G1).
pub(crate) trait Member: Send + Sync {
    /// Closes the member for good and waits for its callbacks, after dropping the pending
    /// ones if `cancel_pending`.
    fn close_member(&self, cancel_pending: bool);
}

/// A set of pool objects closed together.
///
/// # Examples
///
/// ```
/// use alertable_pool::{CleanupGroup, ThreadPool, Work};
///
/// let pool = ThreadPool::new();
/// let group = CleanupGroup::new();
/// let env = pool.environment().with_cleanup_group(&group);
/// let work = Work::new(&env, |_| {});
/// work.submit();
/// // Waits for the submitted callback (or cancels it, with `true`), then closes `work`.
/// group.close_members(false);
/// work.submit(); // closed: ignored
/// ```
///
/// # Win32
///
/// A `PTP_CLEANUP_GROUP`: `CreateThreadpoolCleanupGroup`,
/// `CloseThreadpoolCleanupGroupMembers`; dropping it is `CloseThreadpoolCleanupGroup`.
#[derive(Clone)]
pub struct CleanupGroup {
    inner: Arc<GroupInner>,
}

struct GroupInner {
    members: Mutex<Vec<Weak<dyn Member>>>,
    /// The group's simple callbacks (`try_submit`).
    simple: Mutex<Arc<Tracker>>,
}

impl CleanupGroup {
    /// An empty group.
    ///
    /// # Win32
    ///
    /// `CreateThreadpoolCleanupGroup`.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(GroupInner {
                members: Mutex::new(Vec::new()),
                simple: Mutex::new(Tracker::new()),
            }),
        }
    }

    pub(crate) fn add(&self, member: Weak<dyn Member>) {
        let mut members = self
            .inner
            .members
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        members.retain(|m| m.strong_count() > 0);
        members.push(member);
    }

    pub(crate) fn simple_callbacks(&self) -> Arc<Tracker> {
        self.inner
            .simple
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Closes every member (G1): with `cancel_pending`, callbacks that have not started
    /// are dropped; then it waits for the running ones (and, without `cancel_pending`, for
    /// the pending ones too). When it returns, no callback of a member runs or will run,
    /// and the members' handles do nothing any more. The group is empty afterwards and can
    /// take new members. Must not be called from a member's callback.
    ///
    /// # Win32
    ///
    /// `CloseThreadpoolCleanupGroupMembers(group, fCancelPendingCallbacks, NULL)`.
    pub fn close_members(&self, cancel_pending: bool) {
        let members = std::mem::take(
            &mut *self
                .inner
                .members
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let simple = std::mem::replace(
            &mut *self
                .inner
                .simple
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            Tracker::new(),
        );
        simple.close();
        for member in members.iter().filter_map(Weak::upgrade) {
            member.close_member(cancel_pending);
        }
        simple.wait(cancel_pending);
    }
}

impl Default for CleanupGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CleanupGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let members = self
            .inner
            .members
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("CleanupGroup")
            .field("members", &members)
            .finish()
    }
}
