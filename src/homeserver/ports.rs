//! Loopback ports for managed servers: picked below the kernel's ephemeral range, and reserved for
//! the rest of the run so a server stopped for a while gets its ports back.

use super::error::HomeserverError;
use crate::held::Held;
use std::sync::Mutex;

/// Picks a free loopback port for a server that binds it later.
///
/// The port is released before Synapse binds it, so something else may take it in between. The
/// kernel hands out ports for `bind(:0)` (fake federating servers, other runs' picks) and for
/// outgoing connections from its ephemeral range, so the pick comes from below that range, at
/// random, and must bind now; only if none does is the kernel asked.
pub fn free_port() -> Result<u16, HomeserverError> {
    let port = pick_port()?;
    RESERVED_PORTS.held().insert(port);
    Ok(port)
}

/// Ports handed to managed servers in this run. They stay reserved until mscheck exits: a
/// server that is stopped for a while (`restart` with `down_for`) gets its ports back, because no
/// other managed server booting meanwhile is given them.
static RESERVED_PORTS: Mutex<std::collections::BTreeSet<u16>> =
    Mutex::new(std::collections::BTreeSet::new());

fn reserved(port: u16) -> bool {
    RESERVED_PORTS.held().contains(&port)
}

fn pick_port() -> Result<u16, HomeserverError> {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    const LOWEST: u16 = 10_000;
    if ephemeral_low > LOWEST + 1000 {
        let span = u32::from(ephemeral_low - LOWEST);
        for _ in 0..64 {
            let r = u32::from_str_radix(&crate::random::random_hex::<2>(), 16).unwrap_or(0);
            let port = LOWEST + (r % span) as u16;
            if !reserved(port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return Ok(port);
            }
        }
    }
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| HomeserverError::Setup(format!("cannot find a free port: {e}")))?;
    Ok(l.local_addr()
        .map_err(|e| HomeserverError::Setup(e.to_string()))?
        .port())
}
