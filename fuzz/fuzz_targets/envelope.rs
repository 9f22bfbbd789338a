//! The event envelope decoder, as every consumer runs it on a broker message: any bytes are
//! an envelope or an error, never a panic; and an envelope that decodes reads back the same
//! after encoding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use notify_shared::event::Envelope;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = serde_json::from_slice::<Envelope>(data) {
        let encoded = serde_json::to_vec(&envelope).expect("an envelope encodes");
        let again: Envelope = serde_json::from_slice(&encoded).expect("and decodes again");
        assert_eq!(envelope, again);
    }
});
