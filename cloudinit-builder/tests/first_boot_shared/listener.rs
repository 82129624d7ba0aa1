//! The control plane's side of the private link: a real HTTP listener answering the ready
//! callback (verified with the library's [`Verifier`]) and the app health probe.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use cloudinit_builder::callback::{
    ReadyReport, SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier, VerifyError,
};

/// One callback request and what the verifier made of it.
pub type Received = Result<ReadyReport, VerifyError>;

/// Listens on `ip` (the host end of the link), port chosen by the kernel.
pub struct Listener {
    pub port: u16,
    pub received: Receiver<Received>,
}

impl Listener {
    pub fn start(ip: Ipv4Addr, verifier: Verifier) -> Self {
        let socket = TcpListener::bind((ip, 0)).expect("bind the callback listener");
        let port = socket.local_addr().expect("local address").port();
        let (tx, received) = channel();
        let verifier = Arc::new(verifier);
        std::thread::spawn(move || {
            for stream in socket.incoming().flatten() {
                let (tx, verifier) = (tx.clone(), Arc::clone(&verifier));
                std::thread::spawn(move || serve(stream, &verifier, &tx));
            }
        });
        Self { port, received }
    }
}

fn serve(stream: TcpStream, verifier: &Verifier, tx: &Sender<Received>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (mut length, mut timestamp, mut signature) = (0usize, String::new(), String::new());
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim().to_owned();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                n if n == TIMESTAMP_HEADER.to_ascii_lowercase() => timestamp = value,
                n if n == SIGNATURE_HEADER.to_ascii_lowercase() => signature = value,
                _ => {}
            }
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let status = match (method, path) {
        ("GET", "/health") => "200 OK",
        ("POST", "/ready") => {
            let outcome = verifier.verify(&timestamp, &signature, &body);
            let status = if outcome.is_ok() {
                "204 No Content"
            } else {
                "401 Unauthorized"
            };
            let _ = tx.send(outcome);
            status
        }
        _ => "404 Not Found",
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}
