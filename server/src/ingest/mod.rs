//! Other services' domain events: CloudEvents read from the ingest exchange or
//! `POST /v1/events` ([`cloudevent`]), and the rules that turn them into sends ([`rules`]).
//!
//! A domain event is ingested exactly once in effect: its `source` and `id` make the send's
//! operation id ([`operation_id`]), which is the send's idempotency key, so a republished or
//! redelivered event answers the first send again instead of making another.
//!
//! It must not write anything: the api's send command does, as for every other send.

pub mod cloudevent;
pub mod rules;

use uuid::Uuid;

/// The namespace of ingested events' operation ids.
const NAMESPACE: Uuid = Uuid::from_u128(0x6e6f_7469_6679_4000_8000_696e_6765_7374);

/// The operation id of the send that the event `id` of `source` makes: the same for every copy
/// of the event, different for any other.
pub fn operation_id(source: &str, id: &str) -> Uuid {
    // The length first, so that no (source, id) pair runs into another.
    let name = format!("{}:{source}{id}", source.len());
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_keeps_its_operation_id_and_no_other_event_shares_it() {
        assert_eq!(operation_id("/tasks", "1"), operation_id("/tasks", "1"));
        assert_ne!(operation_id("/tasks", "1"), operation_id("/tasks", "2"));
        assert_ne!(operation_id("/task", "s1"), operation_id("/tasks", "1"));
    }
}
