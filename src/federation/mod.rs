//! A fake federating server inside mscheck: the other end of the server-server API, under the
//! harness's control, like Complement's but in Rust on ruma.
//!
//! It listens on a free loopback port with its own TLS certificate and ed25519 signing key
//! ([`signing`]), serves its key document, signs every request it makes and checks the X-Matrix
//! signature of every request it receives ([`client`], [`server`]). It joins rooms on the server
//! under test through make_join/send_join, keeps what it learns of each room ([`room`]), builds,
//! hashes and signs its own events with chosen timestamps and top-level keys ([`pdu`]), answers
//! `/event`, `/get_missing_events`, `/backfill`, `/state_ids` and `/state` from what it knows,
//! records every incoming `/send` transaction (checking each PDU's hashes and signatures), and
//! answers those transactions from a script (429, 500, a stall, then 200…) so scenarios can watch
//! a server retry. Scenario steps drive it through [`FakeServer`]'s methods (`runner::fake`).

pub mod client;
mod error;
pub mod ops;
pub mod pdu;
pub mod room;
mod routes;
pub mod server;
pub mod signing;
mod state;

pub use error::FederationError;
pub use server::{FakeServer, Misbehaviour, Recorded, SendAnswer};
pub use signing::{parse_x_matrix, verify_request, ServerKey, XMatrix};
