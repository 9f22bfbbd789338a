//! A TCP forwarder that a test can cut and restore, to take a real server "down" for one test
//! without touching the server that the other tests share.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Forwards connections from a loopback port to `target` while up.
#[derive(Debug)]
pub struct Proxy {
    /// The port to connect to instead of the target.
    pub address: SocketAddr,
    target: String,
    up: Arc<watch::Sender<bool>>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts forwarding to `target` (`host:port`).
    pub async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("proxy address");
        let (up, _) = watch::channel(true);
        let mut proxy = Self {
            address,
            target: target.to_owned(),
            up: Arc::new(up),
            accept: None,
        };
        proxy.accept = Some(proxy.spawn(listener));
        proxy
    }

    fn spawn(&self, listener: TcpListener) -> JoinHandle<()> {
        let target = self.target.clone();
        let up = Arc::clone(&self.up);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                let mut down = up.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = down.wait_for(|up| !*up) => {}
                    }
                });
            }
        })
    }

    /// Cuts every connection and refuses new ones, as a stopped server would.
    pub fn cut(&mut self) {
        self.up.send_replace(false);
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
    }

    /// Accepts connections again on the same port.
    pub async fn restore(&mut self) {
        self.up.send_replace(true);
        let listener = TcpListener::bind(self.address)
            .await
            .expect("rebind proxy port");
        self.accept = Some(self.spawn(listener));
    }
}
