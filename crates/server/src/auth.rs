//! Who may call the server: API tokens with a role, kept hashed, and browser sessions
//! made by signing in with one.
//!
//! Tokens come from `--token` (one admin token named `token`) and from a tokens file,
//! one token a line: `NAME ROLE blake3:HEX` (`# comments` and blank lines allowed). The
//! file is read again when it changes, so tokens are added, rotated and revoked without a
//! restart; a revoked token's browser sessions end with it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// What a token may do. `Admin` includes everything `Read` may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Search and read documents.
    Read,
    /// Also add, refresh and remove documents and see jobs.
    Admin,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s.to_ascii_lowercase().as_str() {
            "read" => Ok(Role::Read),
            "admin" => Ok(Role::Admin),
            _ => Err(format!("role {s:?} is not one of read, admin")),
        }
    }
}

/// The caller a request was authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's name (it appears in the log of what it changed).
    pub name: String,
    /// What it may do.
    pub role: Role,
}

/// One configured token: its name, role and BLAKE3 hash (the token itself is not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenEntry {
    /// Name shown in logs.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// BLAKE3 of the token.
    pub hash: [u8; 32],
}

impl TokenEntry {
    /// An entry for a token given in clear (e.g. `--token`).
    pub fn from_secret(name: &str, role: Role, secret: &str) -> TokenEntry {
        TokenEntry {
            name: name.to_string(),
            role,
            hash: *blake3::hash(secret.as_bytes()).as_bytes(),
        }
    }

    /// The tokens-file line for this entry.
    pub fn line(&self) -> String {
        format!(
            "{} {} blake3:{}",
            self.name,
            match self.role {
                Role::Read => "read",
                Role::Admin => "admin",
            },
            blake3::Hash::from_bytes(self.hash).to_hex()
        )
    }
}

/// Parses a tokens file; errors name the line.
pub fn parse_tokens(text: &str, origin: &str) -> Result<Vec<TokenEntry>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{origin}:{}", n + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [name, role, hash] = fields[..] else {
            return Err(format!("{}: expected `NAME ROLE blake3:HEX`", at()));
        };
        let role: Role = role.parse().map_err(|e| format!("{}: {e}", at()))?;
        let hex = hash
            .strip_prefix("blake3:")
            .ok_or_else(|| format!("{}: the hash must start with blake3:", at()))?;
        let hash = blake3::Hash::from_hex(hex)
            .map_err(|_| format!("{}: blake3:{hex} is not 64 hex digits", at()))?;
        out.push(TokenEntry {
            name: name.to_string(),
            role,
            hash: *hash.as_bytes(),
        });
    }
    Ok(out)
}

/// A new random token (256 bits, hex).
pub fn new_secret() -> std::io::Result<String> {
    Ok(blake3::Hash::from_bytes(random_bytes()?)
        .to_hex()
        .to_string())
}

fn random_bytes() -> std::io::Result<[u8; 32]> {
    use std::io::Read;
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf)
}

/// Equality that takes the same time wherever the inputs differ (tokens, CSRF values).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How long a browser session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Most browser sessions kept at once (the oldest are dropped first).
const MAX_SESSIONS: usize = 10_000;
/// How often the tokens file is checked for changes.
const RELOAD_EVERY: Duration = Duration::from_secs(2);

struct Session {
    token_hash: [u8; 32],
    expires: Instant,
}

struct FileState {
    path: PathBuf,
    modified: Option<SystemTime>,
    checked: Instant,
    entries: Vec<TokenEntry>,
}

/// The tokens a server accepts and the browser sessions signed in with them.
pub struct Auth {
    fixed: Vec<TokenEntry>,
    file: Option<Mutex<FileState>>,
    sessions: RwLock<HashMap<String, Session>>,
}

impl Auth {
    /// Tokens given directly and, optionally, a tokens file (read now; errors name it).
    pub fn new(fixed: Vec<TokenEntry>, file: Option<&Path>) -> Result<Auth, String> {
        let file = match file {
            None => None,
            Some(p) => {
                let (entries, modified) = read_tokens_file(p)?;
                Some(Mutex::new(FileState {
                    path: p.to_path_buf(),
                    modified,
                    checked: Instant::now(),
                    entries,
                }))
            }
        };
        Ok(Auth {
            fixed,
            file,
            sessions: RwLock::new(HashMap::new()),
        })
    }

    /// Whether any token is configured (else the server is open).
    pub fn required(&self) -> bool {
        !self.fixed.is_empty() || self.file.is_some()
    }

    fn entries(&self) -> Vec<TokenEntry> {
        let mut all = self.fixed.clone();
        if let Some(file) = &self.file {
            let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
            if f.checked.elapsed() >= RELOAD_EVERY {
                f.checked = Instant::now();
                let modified = std::fs::metadata(&f.path).and_then(|m| m.modified()).ok();
                if modified != f.modified {
                    match read_tokens_file(&f.path) {
                        Ok((entries, m)) => {
                            tracing::info!(target: "mcdewey::server", "tokens file {} reloaded: {} tokens", f.path.display(), entries.len());
                            f.entries = entries;
                            f.modified = m;
                        }
                        // A broken edit keeps the tokens in force rather than locking
                        // everybody out; it is retried at the next check.
                        Err(e) => {
                            tracing::error!(target: "mcdewey::server", "{e}; keeping the previous tokens")
                        }
                    }
                }
            }
            all.extend(f.entries.iter().cloned());
        }
        all
    }

    fn by_hash(&self, hash: &[u8; 32]) -> Option<Principal> {
        self.entries()
            .into_iter()
            .find(|e| ct_eq(&e.hash, hash))
            .map(|e| Principal {
                name: e.name,
                role: e.role,
            })
    }

    /// The principal of a token given in clear.
    pub fn check_token(&self, secret: &str) -> Option<Principal> {
        self.by_hash(blake3::hash(secret.as_bytes()).as_bytes())
    }

    /// Starts a browser session for a valid token; returns its id.
    pub fn sign_in(&self, secret: &str) -> Option<(String, Principal)> {
        let principal = self.check_token(secret)?;
        let id = new_secret().ok()?;
        let mut sessions = self.sessions.write().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(
            id.clone(),
            Session {
                token_hash: *blake3::hash(secret.as_bytes()).as_bytes(),
                expires: now + SESSION_TTL,
            },
        );
        Some((id, principal))
    }

    /// The principal of a live session whose token is still configured.
    pub fn session(&self, id: &str) -> Option<Principal> {
        let hash = {
            let sessions = self.sessions.read().unwrap_or_else(|e| e.into_inner());
            let s = sessions.get(id)?;
            if s.expires <= Instant::now() {
                return None;
            }
            s.token_hash
        };
        self.by_hash(&hash)
    }

    /// Ends a session.
    pub fn sign_out(&self, id: &str) {
        self.sessions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}

fn read_tokens_file(path: &Path) -> Result<(Vec<TokenEntry>, Option<SystemTime>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("tokens file {}: {e}", path.display()))?;
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    Ok((parse_tokens(&text, &path.display().to_string())?, modified))
}

/// The token of an `Authorization` header value: the scheme `Bearer` in any case.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(char::is_whitespace)?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer abc"), Some("abc"));
        assert_eq!(bearer("BEARER   abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
    }

    #[test]
    fn tokens_files_parse_and_name_the_bad_line() {
        let good = TokenEntry::from_secret("alice", Role::Read, "s1");
        let text = format!("# team tokens\n\n{}\n", good.line());
        assert_eq!(parse_tokens(&text, "t").unwrap(), vec![good]);
        let err = parse_tokens("bob writer blake3:00", "tokens.txt").unwrap_err();
        assert!(err.starts_with("tokens.txt:1: role \"writer\""), "{err}");
        let err = parse_tokens("bob read 1234", "t").unwrap_err();
        assert!(err.contains("blake3:"), "{err}");
        let err = parse_tokens("bob read", "t").unwrap_err();
        assert!(err.contains("NAME ROLE"), "{err}");
    }

    #[test]
    fn sessions_end_when_their_token_is_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        let alice = TokenEntry::from_secret("alice", Role::Admin, "a-secret");
        std::fs::write(&file, alice.line()).unwrap();
        let auth = Auth::new(vec![], Some(&file)).unwrap();
        assert!(auth.required());
        assert_eq!(auth.check_token("wrong"), None);
        let (id, who) = auth.sign_in("a-secret").unwrap();
        assert_eq!(who.role, Role::Admin);
        assert_eq!(auth.session(&id).unwrap().name, "alice");
        // Rotation: the file changes, the old token and its session stop working.
        let bob = TokenEntry::from_secret("bob", Role::Read, "b-secret");
        std::fs::write(&file, bob.line()).unwrap();
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(later)
            .unwrap();
        auth.file.as_ref().unwrap().lock().unwrap().checked -= RELOAD_EVERY;
        assert_eq!(auth.session(&id), None);
        assert_eq!(auth.check_token("b-secret").unwrap().role, Role::Read);
        auth.sign_out("nonexistent");
    }
}
