//! Writing outputs safely: a file appears under its name complete or not at
//! all, and a failed or interrupted run never leaves a half-written file or
//! destroys a good one.
//!
//! On Linux the data goes into an unnamed file in the destination folder
//! (`O_TMPFILE`), which the kernel discards if the process dies before it
//! is given a name: a run killed mid-write leaves nothing behind. Once
//! written and synced, it is linked under the target's name when there is
//! none yet (one atomic step), or under a temporary name that is then
//! renamed over the old file. Only a process killed between those last two
//! calls can leave that complete temporary file (`.pyasm-*.tmp`) behind.
//! Where unnamed files are not available (other systems, some file
//! systems), a named temporary file is written and renamed instead.

use std::io::Write;
use std::path::Path;

pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    #[cfg(target_os = "linux")]
    if unnamed::write(dir, path, data)? {
        return Ok(());
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".pyasm-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(target_os = "linux")]
mod unnamed {
    use std::ffi::CString;
    use std::io::{self, Write};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    use std::path::Path;

    fn c_path(p: &Path) -> io::Result<CString> {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path with a NUL byte"))
    }

    /// Gives the open unnamed file `fd` the name `to`.
    fn link(fd: i32, to: &Path) -> io::Result<()> {
        let from = c_path(Path::new(&format!("/proc/self/fd/{fd}")))?;
        let to = c_path(to)?;
        // SAFETY: both arguments are NUL-terminated strings that live
        // across the call; linkat reads them and keeps no pointer.
        let r = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Writes `data` to `path` through an unnamed file in `dir`. `Ok(false)`
    /// when this system or file system cannot (nothing was created).
    pub fn write(dir: &Path, path: &Path, data: &[u8]) -> io::Result<bool> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_TMPFILE)
            .mode(0o666)
            .open(dir);
        let mut file = match file {
            Ok(f) => f,
            Err(e) => {
                // No O_TMPFILE here: the kernel or the file system lacks it.
                let unsupported = matches!(
                    e.raw_os_error(),
                    Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL | libc::ENOENT)
                );
                return if unsupported { Ok(false) } else { Err(e) };
            }
        };
        file.write_all(data)?;
        file.sync_all()?;
        let fd = file.as_raw_fd();
        match link(fd, path) {
            Ok(()) => return Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
            // No /proc to name the file by: write it the other way.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) && !dir.exists() => return Err(e),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(false),
            Err(e) => return Err(e),
        }
        // Something is there already: replace it by a rename, which is
        // atomic, from a temporary name.
        for attempt in 0..100u32 {
            let tmp = dir.join(format!(
                ".pyasm-{}-{}-{attempt}.tmp",
                std::process::id(),
                fastrand()
            ));
            match link(fd, &tmp) {
                Ok(()) => {
                    return match std::fs::rename(&tmp, path) {
                        Ok(()) => Ok(true),
                        Err(e) => {
                            let _ = std::fs::remove_file(&tmp);
                            Err(e)
                        }
                    };
                }
                Err(e) if e.raw_os_error() == Some(libc::EEXIST) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temporary name in the destination folder",
        ))
    }

    /// A number that differs between calls and threads (for temporary
    /// names; collisions are retried).
    fn fastrand() -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0),
        );
        h.finish()
    }
}
