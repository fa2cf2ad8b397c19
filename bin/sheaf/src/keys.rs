//! Local keys: the ten well-known dev keys (`dev0`…`dev9`) and a keystore directory of named keys.
//!
//! Keystore files hold the secret as hex, readable only by the owner. That suits dev and test
//! networks; an encrypted (EIP-2335/Web3 Secret Storage) keystore is still to do.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, B256};
use anyhow::{Context, bail};
use sheaf_app::genesis::DEV_KEYS;
use sheaf_tx::sign::Signer;

pub fn default_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".sheaf")
        .join("keys")
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !(name.starts_with("dev") && name[3..].parse::<u8>().is_ok())
}

/// Resolves `devN`, a keystore name, or a raw 0x-prefixed 32-byte secret to a signer.
pub fn load(dir: &Path, reference: &str) -> anyhow::Result<Signer> {
    if let Some(index) = reference
        .strip_prefix("dev")
        .and_then(|n| n.parse::<usize>().ok())
    {
        let (_, secret) = DEV_KEYS
            .get(index)
            .with_context(|| format!("there are only dev0…dev9, not {reference}"))?;
        return Ok(Signer::new(*secret)?);
    }
    if reference.starts_with("0x") && reference.len() == 66 {
        let secret: B256 = reference.parse().context("secret key is not valid hex")?;
        return Ok(Signer::new(secret)?);
    }
    let path = dir.join(format!("{reference}.key"));
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no key named '{reference}' (looked for {}; `sheaf keys list` shows what exists)",
            path.display()
        )
    })?;
    let secret: B256 = text
        .trim()
        .parse()
        .with_context(|| format!("{} does not hold a hex secret key", path.display()))?;
    Ok(Signer::new(secret)?)
}

/// An address given directly or as the name of a local key.
pub fn address(dir: &Path, reference: &str) -> anyhow::Result<Address> {
    if reference.starts_with("0x") && reference.len() == 42 {
        return reference
            .parse()
            .with_context(|| format!("'{reference}' is not a valid address"));
    }
    Ok(load(dir, reference)?.address)
}

pub fn save(dir: &Path, name: &str, signer: &Signer) -> anyhow::Result<PathBuf> {
    if !valid_name(name) {
        bail!("key names use letters, digits, '-' and '_' (and devN is reserved)");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(format!("{name}.key"));
    if path.exists() {
        bail!("a key named '{name}' already exists at {}", path.display());
    }
    std::fs::write(&path, format!("{}\n", signer.secret()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(path)
}

/// Every key: the dev keys first, then the keystore's in name order.
pub fn list(dir: &Path) -> anyhow::Result<Vec<(String, Address)>> {
    let mut keys: Vec<(String, Address)> = DEV_KEYS
        .iter()
        .enumerate()
        .map(|(i, (a, _))| (format!("dev{i}"), *a))
        .collect();
    let mut named = vec![];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "key") {
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default();
                if let Ok(signer) = load(dir, &name) {
                    named.push((name, signer.address));
                }
            }
        }
    }
    named.sort();
    keys.extend(named);
    Ok(keys)
}
