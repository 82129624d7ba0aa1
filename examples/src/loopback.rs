//! The Hetzner simulator served over real HTTP on 127.0.0.1, for benchmarks that must include
//! the network stack (for tests, use the in-process transport and a paused clock instead).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hetzner_client::simulator::Simulator;
use hetzner_client::transport::{HttpRequest, Transport};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running loopback server; dropping it does not stop it, call [`Loopback::stop`].
#[derive(Debug)]
pub struct Loopback {
    /// Where it listens.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Loopback {
    /// The base URL to give a client (`http://127.0.0.1:PORT/v1`).
    pub fn endpoint(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Stops accepting connections.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Serves `sim` over HTTP/1.1 on an ephemeral port of 127.0.0.1.
///
/// # Errors
/// The socket could not be bound.
pub async fn serve(sim: &Simulator) -> std::io::Result<Loopback> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let transport = sim.transport();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let transport = Arc::clone(&transport);
            tokio::spawn(async move {
                let service = service_fn(move |req| answer(Arc::clone(&transport), req));
                // A client closing its connection ends this task; nothing to report.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Loopback { addr, task })
}

async fn answer(
    transport: Arc<dyn Transport>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(status(400)),
    };
    let url = format!(
        "http://loopback{}",
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let request = HttpRequest {
        method: parts.method,
        url,
        headers: parts.headers,
        body: (!body.is_empty()).then_some(body),
    };
    match transport.send(request).await {
        Ok(reply) => {
            let mut response = Response::new(Full::new(reply.body));
            *response.status_mut() =
                http::StatusCode::from_u16(reply.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
            *response.headers_mut() = reply.headers;
            Ok(response)
        }
        // A simulated dropped connection: answer 502 (HTTP/1 cannot drop mid-flight cleanly
        // from a service function).
        Err(_) => Ok(status(502)),
    }
}

fn status(code: u16) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::BAD_REQUEST);
    r
}
