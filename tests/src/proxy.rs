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
    silence: Arc<watch::Sender<u64>>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts forwarding to `target` (`host:port`).
    pub async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("proxy address");
        let (up, _) = watch::channel(true);
        let (silence, _) = watch::channel(0);
        let mut proxy = Self {
            address,
            target: target.to_owned(),
            up: Arc::new(up),
            silence: Arc::new(silence),
            accept: None,
        };
        proxy.accept = Some(proxy.spawn(listener));
        proxy
    }

    fn spawn(&self, listener: TcpListener) -> JoinHandle<()> {
        let target = self.target.clone();
        let up = Arc::clone(&self.up);
        let silence = Arc::clone(&self.silence);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                let down = up.subscribe();
                let silenced = silence.subscribe();
                let generation = *silenced.borrow();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = until(down.clone(), |up| !*up) => {}
                        () = until(silenced, move |g| *g > generation) => {
                            // Both sockets stay open and nothing more is read or written: no
                            // byte, FIN or RST reaches either end, as when a network drops
                            // every packet. They close when the proxy is cut or dropped.
                            until(down, |up| !*up).await;
                        }
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

    /// Silences the connections open now, as a network that drops every packet would: both
    /// ends keep their sockets and hear nothing, not even a reset. New connections work.
    pub fn silence_open_connections(&self) {
        self.silence.send_modify(|generation| *generation += 1);
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

/// Waits until the watched value satisfies `done` (or its sender is gone).
async fn until<T>(mut receiver: watch::Receiver<T>, done: impl FnMut(&T) -> bool) {
    let _ = receiver.wait_for(done).await;
}
