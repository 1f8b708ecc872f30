//! Least privilege: once the capture handle is open, become the user who ran
//! sudo (or `--user NAME`), as `tcpdump -Z` does, before decoding a byte.

use nix::unistd::{self, Gid, Uid, User};

/// Who the process became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub uid: u32,
    pub gid: u32,
    pub name: Option<String>,
}

/// Drops root to `user`, or to SUDO_UID/SUDO_GID when started through sudo.
/// Returns None when there was nothing to drop (not root, or root without
/// sudo and no `--user`).
pub fn drop_privileges(user: Option<&str>) -> Result<Option<Dropped>, String> {
    if !unistd::geteuid().is_root() {
        return Ok(None);
    }
    let (uid, gid, name) = match user {
        Some(name) => {
            let u = User::from_name(name)
                .map_err(|e| format!("cannot look up user {name}: {e}"))?
                .ok_or_else(|| format!("no such user: {name}"))?;
            (u.uid, u.gid, Some(u.name))
        }
        None => {
            let uid = std::env::var("SUDO_UID")
                .ok()
                .and_then(|v| v.parse::<u32>().ok());
            let gid = std::env::var("SUDO_GID")
                .ok()
                .and_then(|v| v.parse::<u32>().ok());
            match (uid, gid) {
                (Some(u), Some(g)) if u != 0 => {
                    let uid = Uid::from_raw(u);
                    // The account's own name first: SUDO_USER may be unset
                    // (sudo -E from a script, su) or stale.
                    let name = User::from_uid(uid)
                        .ok()
                        .flatten()
                        .map(|u| u.name)
                        .or_else(|| std::env::var("SUDO_USER").ok());
                    (uid, Gid::from_raw(g), name)
                }
                _ => return Ok(None),
            }
        }
    };
    // Order matters: groups and gid first, while we still may change them.
    unistd::setgroups(&[gid]).map_err(|e| format!("setgroups({gid}): {e}"))?;
    unistd::setgid(gid).map_err(|e| format!("setgid({gid}): {e}"))?;
    unistd::setuid(uid).map_err(|e| format!("setuid({uid}): {e}"))?;
    if unistd::geteuid() != uid || unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(format!("could not drop root to uid {uid}"));
    }
    Ok(Some(Dropped {
        uid: uid.as_raw(),
        gid: gid.as_raw(),
        name,
    }))
}
