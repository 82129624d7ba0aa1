//! The simulators served over real HTTP on 127.0.0.1, so that any HTTP client (the `hcloud`
//! CLI, Terraform, Hetzner's Python library, curl) can be tested against them, and for
//! benchmarks that must include the network stack (for tests of our own clients, use the
//! in-process transports and a paused clock instead).
//!
//! One port serves both APIs: Hetzner Cloud under `/v1` and, when given, Cloudflare under
//! `/client/v4`. `cargo run --example serve-simulator -- --port 8080` runs it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use cloudflare_client::simulator::Simulator as CloudflareSimulator;
use cloudflare_client::transport::{HttpRequest as CfRequest, Transport as CfTransport};
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
    /// The base URL to give a Hetzner client (`http://127.0.0.1:PORT/v1`).
    pub fn endpoint(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The base URL to give a Cloudflare client (`http://127.0.0.1:PORT/client/v4`).
    pub fn cloudflare_endpoint(&self) -> String {
        format!("http://{}{CLOUDFLARE_PREFIX}", self.addr)
    }

    /// Stops accepting connections.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Where the Cloudflare API is served.
pub const CLOUDFLARE_PREFIX: &str = "/client/v4";

/// The simulators one server answers for.
#[derive(Clone)]
struct Apis {
    hetzner: Arc<dyn Transport>,
    cloudflare: Option<CloudflareSimulator>,
}

/// Serves `sim` over HTTP/1.1 on an ephemeral port of 127.0.0.1.
///
/// # Errors
/// The socket could not be bound.
pub async fn serve(sim: &Simulator) -> std::io::Result<Loopback> {
    serve_on(sim, None, 0).await
}

/// Serves the Hetzner simulator under `/v1` and, if given, the Cloudflare simulator under
/// `/client/v4`, on `port` of 127.0.0.1 (0 for an ephemeral one).
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let hetzner = hetzner_client::simulator::Simulator::new();
/// let cloudflare = cloudflare_client::simulator::Simulator::new();
/// let server = examples::loopback::serve_on(&hetzner, Some(&cloudflare), 0).await?;
/// println!("HCLOUD_ENDPOINT={}", server.endpoint());
/// # Ok(()) }
/// ```
///
/// # Errors
/// The socket could not be bound.
pub async fn serve_on(
    hetzner: &Simulator,
    cloudflare: Option<&CloudflareSimulator>,
    port: u16,
) -> std::io::Result<Loopback> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let apis = Apis {
        hetzner: hetzner.transport(),
        cloudflare: cloudflare.cloned(),
    };
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let apis = apis.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| answer(apis.clone(), req));
                // A client closing its connection ends this task; nothing to report.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Loopback { addr, task })
}

async fn answer(apis: Apis, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(status(400)),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    if path_and_query.starts_with(CLOUDFLARE_PREFIX) {
        let Some(cloudflare) = apis.cloudflare else {
            return Ok(status(404));
        };
        return Ok(answer_cloudflare(&cloudflare, parts, body, &path_and_query).await);
    }
    let transport = apis.hetzner;
    // the client's Host, so URLs the simulator answers with (`Link` headers) point back here
    let host = parts
        .headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("loopback")
        .to_owned();
    let Ok(url) = reqwest::Url::parse(&format!("http://{host}{path_and_query}")) else {
        return Ok(status(400));
    };
    let request = HttpRequest {
        method: parts.method,
        url,
        headers: parts.headers,
        body: (!body.is_empty()).then_some(body),
    };
    match transport.send(request).await {
        Ok(reply) => {
            let mut response = Response::new(Full::new(reply.body));
            *response.status_mut() = reply.status;
            *response.headers_mut() = reply.headers;
            Ok(response)
        }
        // A simulated dropped connection: answer 502 (HTTP/1 cannot drop mid-flight cleanly
        // from a service function).
        Err(_) => Ok(status(502)),
    }
}

async fn answer_cloudflare(
    sim: &CloudflareSimulator,
    parts: http::request::Parts,
    body: Bytes,
    path_and_query: &str,
) -> Response<Full<Bytes>> {
    let base = cloudflare_client::simulator::BASE_URL.trim_end_matches(CLOUDFLARE_PREFIX);
    let Ok(url) = reqwest::Url::parse(&format!("{base}{path_and_query}")) else {
        return status(400);
    };
    let request = CfRequest {
        method: parts.method,
        url,
        headers: parts.headers,
        body: (!body.is_empty()).then_some(body),
    };
    match sim.send(request).await {
        Ok(reply) => {
            let mut response = Response::new(Full::new(reply.body));
            *response.status_mut() = reply.status;
            *response.headers_mut() = reply.headers;
            response
        }
        Err(_) => status(502),
    }
}

fn status(code: u16) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::BAD_REQUEST);
    r
}
