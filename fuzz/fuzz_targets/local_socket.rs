//! The local-socket codec, as both ends run it (`notify_shared::ndjson` framing with its length
//! limit, then the hello, requests and replies of `notify_shared::local`): any bytes give
//! lines, requests, replies or errors, never a panic, and never a line over the limit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use notify_shared::local::{MAX_LINE, Reply, Request, check_hello};
use notify_shared::ndjson::read_line;

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut reader = data;
        let mut first = true;
        while let Ok(Some(line)) = read_line(&mut reader).await {
            assert!(line.bytes.len() <= MAX_LINE);
            if first {
                let _ = check_hello(&line.bytes);
                first = false;
            }
            if let Ok(request) = serde_json::from_slice::<Request>(&line.bytes) {
                let again = serde_json::to_vec(&request).expect("a request encodes");
                serde_json::from_slice::<Request>(&again).expect("and decodes again");
            }
            let _ = serde_json::from_slice::<Reply>(&line.bytes);
        }
    });
});
