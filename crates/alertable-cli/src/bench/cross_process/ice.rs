//! The iceoryx2 contender: one publish-subscribe service and one event service in each
//! direction. A message is a sample followed by a notification; the receiver sleeps in
//! its listener's wait, wakes on the notification and takes every sample there is.
//!
//! Both processes open the services with the same settings: a subscriber buffer of
//! [`BUFFER`] samples, no overwriting of unread samples (`enable_safe_overflow(false)`),
//! and publishers that retry while the buffer is full (`RetryUntilDelivered`), so that a
//! throughput run delivers every message, as the other contenders do.

use std::time::{Duration, Instant};

use iceoryx2::port::listener::Listener;
use iceoryx2::port::notifier::Notifier;
use iceoryx2::port::publisher::Publisher;
use iceoryx2::port::subscriber::Subscriber;
use iceoryx2::prelude::*;
use iceoryx2::service::port_factory::{event, publish_subscribe};

/// Samples a subscriber holds before the publisher has to wait.
const BUFFER: usize = 256;

/// One side's ports: it publishes on `outgoing` and subscribes to `incoming`.
pub(crate) struct Ports<const N: usize> {
    publisher: Publisher<ipc::Service, [u8; N], ()>,
    subscriber: Subscriber<ipc::Service, [u8; N], ()>,
    notifier: Notifier<ipc::Service>,
    listener: Listener<ipc::Service>,
    _data: [publish_subscribe::PortFactory<ipc::Service, [u8; N], ()>; 2],
    _events: [event::PortFactory<ipc::Service>; 2],
    _node: Node<ipc::Service>,
}

fn name(prefix: &str, what: &str) -> Result<ServiceName, String> {
    format!("{prefix}/{what}")
        .as_str()
        .try_into()
        .map_err(|e| format!("service name: {e:?}"))
}

impl<const N: usize> Ports<N> {
    /// Opens (or creates) the services `{prefix}/{outgoing}` and `{prefix}/{incoming}` and
    /// this side's ports on them.
    pub(crate) fn open(prefix: &str, outgoing: &str, incoming: &str) -> Result<Self, String> {
        set_log_level(LogLevel::Error);
        let node = NodeBuilder::new()
            .create::<ipc::Service>()
            .map_err(|e| format!("node: {e:?}"))?;
        let data = |what: &str| {
            node.service_builder(&name(prefix, what)?)
                .publish_subscribe::<[u8; N]>()
                .enable_safe_overflow(false)
                .subscriber_max_buffer_size(BUFFER)
                .open_or_create()
                .map_err(|e| format!("publish-subscribe service {what}: {e:?}"))
        };
        let events = |what: &str| {
            node.service_builder(&name(prefix, &format!("{what}-event"))?)
                .event()
                .open_or_create()
                .map_err(|e| format!("event service {what}: {e:?}"))
        };
        let (out_data, in_data) = (data(outgoing)?, data(incoming)?);
        let (out_events, in_events) = (events(outgoing)?, events(incoming)?);
        let publisher = out_data
            .publisher_builder()
            .backpressure_strategy(BackpressureStrategy::RetryUntilDelivered)
            .create()
            .map_err(|e| format!("publisher: {e:?}"))?;
        let subscriber = in_data
            .subscriber_builder()
            .create()
            .map_err(|e| format!("subscriber: {e:?}"))?;
        let notifier = out_events
            .notifier_builder()
            .create()
            .map_err(|e| format!("notifier: {e:?}"))?;
        let listener = in_events
            .listener_builder()
            .create()
            .map_err(|e| format!("listener: {e:?}"))?;
        Ok(Self {
            publisher,
            subscriber,
            notifier,
            listener,
            _data: [out_data, in_data],
            _events: [out_events, in_events],
            _node: node,
        })
    }

    /// Publishes `message` and notifies the other side.
    pub(crate) fn send(&self, message: [u8; N]) {
        let delivered = self
            .publisher
            .send_copy(message)
            .expect("iceoryx2 publishes a sample");
        assert_eq!(delivered, 1, "the other side's subscriber is connected");
        self.notifier.notify().expect("iceoryx2 notifies");
    }

    /// Takes the next sample, sleeping in the listener until one is there; `None` if none
    /// came within `patience`.
    pub(crate) fn receive(&self, patience: Duration) -> Option<[u8; N]> {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(sample) = self.subscriber.receive().expect("iceoryx2 receives") {
                return Some(*sample);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.listener
                .timed_wait(|_| {}, left)
                .expect("iceoryx2's listener waits");
        }
    }
}
