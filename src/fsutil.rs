//! Reading inputs and writing outputs safely.
//!
//! Writing: a file appears under its name complete or not at all, and a
//! failed or interrupted run never leaves a half-written file or destroys a
//! good one. [`write_atomic_at`] is the one writer: it works inside an open
//! folder, by names relative to it that never follow a symbolic link, so a
//! caller that reached that folder safely (the language server, see
//! [`open_dir_beneath`]) cannot be sent elsewhere between its check and the
//! write. [`write_atomic`] (the command line) opens the destination's folder
//! and hands over to it.
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
//!
//! Reading: [`open_regular`] opens regular files only (never a FIFO, a
//! device, a socket or a file of `/proc` or `/sys`, whose sizes say nothing
//! of what a read returns), without blocking on the open, and refuses one
//! over a size limit before reading a byte; [`read_rest`] reads in chunks
//! up to that limit and stops when asked to. Their errors name a reason,
//! never the file's contents.

use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Component, Path};
use std::sync::atomic::{AtomicBool, Ordering};

#[cfg(unix)]
use rustix::fs::{Mode, OFlags};
#[cfg(unix)]
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Writes `data` to `path` atomically, creating its folder if needed. The
/// folder is reached through symbolic links as the path names it; the file
/// itself replaces whatever has its name (a link included) without
/// following it.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the output path names no file")
    })?;
    #[cfg(unix)]
    {
        let dir = rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        write_atomic_at(dir.as_fd(), name, data)
    }
    #[cfg(not(unix))]
    {
        let _ = name;
        let mut tmp = tempfile::Builder::new()
            .prefix(".pyasm-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        tmp.write_all(data)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Writes `data` atomically to the file `name` (one path component) of the
/// open folder `dir`. Nothing is looked up by a path outside `dir`, and no
/// symbolic link is followed: an existing `name` is replaced, whatever it
/// is.
#[cfg(unix)]
pub fn write_atomic_at(dir: BorrowedFd<'_>, name: &OsStr, data: &[u8]) -> io::Result<()> {
    let mut parts = Path::new(name).components();
    if !matches!(
        (parts.next(), parts.next()),
        (Some(Component::Normal(_)), None)
    ) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an output file name must be one path component",
        ));
    }
    #[cfg(target_os = "linux")]
    if unnamed::write(dir, name, data)? {
        return Ok(());
    }
    named::write(dir, name, data)
}

/// A temporary name in the destination folder, different between calls
/// and threads (collisions are retried).
#[cfg(unix)]
fn temporary_name(attempt: u32) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    format!(".pyasm-{}-{}-{attempt}.tmp", std::process::id(), h.finish())
}

#[cfg(unix)]
mod named {
    use super::*;
    use rustix::fs::{openat, renameat, unlinkat, AtFlags};

    /// Writes a named temporary file in `dir` and renames it to `name`.
    pub fn write(dir: BorrowedFd<'_>, name: &OsStr, data: &[u8]) -> io::Result<()> {
        for attempt in 0..100u32 {
            let tmp = temporary_name(attempt);
            let fd = match openat(
                dir,
                tmp.as_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_bits_truncate(0o666),
            ) {
                Ok(fd) => fd,
                Err(rustix::io::Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            };
            let written = (|| {
                let mut file = File::from(fd);
                file.write_all(data)?;
                file.sync_all()?;
                renameat(dir, tmp.as_str(), dir, name)?;
                Ok(())
            })();
            if written.is_err() {
                let _ = unlinkat(dir, tmp.as_str(), AtFlags::empty());
            }
            return written;
        }
        Err(no_free_name())
    }
}

#[cfg(unix)]
fn no_free_name() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary name in the destination folder",
    )
}

#[cfg(target_os = "linux")]
mod unnamed {
    use super::*;
    use rustix::fs::{linkat, openat, renameat, unlinkat, AtFlags, CWD};
    use rustix::io::Errno;
    use std::os::fd::AsRawFd;

    /// Gives the open unnamed file `file` the name `to` in `dir`. The new
    /// name is never followed: it must not exist yet.
    fn link(file: &File, dir: BorrowedFd<'_>, to: &str) -> rustix::io::Result<()> {
        let from = format!("/proc/self/fd/{}", file.as_raw_fd());
        linkat(CWD, from.as_str(), dir, to, AtFlags::SYMLINK_FOLLOW)
    }

    /// Writes `data` to `name` in `dir` through an unnamed file. `Ok(false)`
    /// when this system or file system cannot (nothing was created).
    pub fn write(dir: BorrowedFd<'_>, name: &OsStr, data: &[u8]) -> io::Result<bool> {
        let file = openat(
            dir,
            ".",
            OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC,
            Mode::from_bits_truncate(0o666),
        );
        let mut file = match file {
            Ok(fd) => File::from(fd),
            // No O_TMPFILE here: the kernel or the file system lacks it.
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        file.write_all(data)?;
        file.sync_all()?;
        let Some(name) = name.to_str() else {
            return Ok(false);
        };
        match link(&file, dir, name) {
            Ok(()) => return Ok(true),
            Err(Errno::EXIST) => {}
            // No /proc to name the file by: write it the other way.
            Err(Errno::NOENT) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        // Something is there already: replace it by a rename, which is
        // atomic, from a temporary name.
        for attempt in 0..100u32 {
            let tmp = temporary_name(attempt);
            match link(&file, dir, &tmp) {
                Ok(()) => {
                    return match renameat(dir, tmp.as_str(), dir, name) {
                        Ok(()) => Ok(true),
                        Err(e) => {
                            let _ = unlinkat(dir, tmp.as_str(), AtFlags::empty());
                            Err(e.into())
                        }
                    };
                }
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(no_free_name())
    }
}

/// Opens the folder `rel` below the open folder `root`, one component at a
/// time, never following a symbolic link (a link on the way is an error,
/// `ELOOP` or `ENOTDIR`). With `create`, missing folders are made. `rel`
/// may only go down: `..` or an absolute path is refused.
#[cfg(unix)]
pub fn open_dir_beneath(root: BorrowedFd<'_>, rel: &Path, create: bool) -> io::Result<OwnedFd> {
    use rustix::fs::{mkdirat, openat};
    use rustix::io::Errno;
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut dir = openat(root, ".", flags, Mode::empty())?;
    for part in rel.components() {
        let name = match part {
            Component::Normal(n) => n,
            Component::CurDir => continue,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a folder path that leaves its starting folder",
                ))
            }
        };
        let next = match openat(&dir, name, flags, Mode::empty()) {
            Err(Errno::NOENT) if create => {
                match mkdirat(&dir, name, Mode::from_bits_truncate(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                openat(&dir, name, flags, Mode::empty())?
            }
            other => other?,
        };
        dir = next;
    }
    Ok(dir)
}

/// Why a file was not read. None of these carries any of its bytes.
#[derive(Debug)]
pub enum ReadError {
    Io(io::Error),
    /// Not a regular file: what it is instead ("a FIFO", "a folder", ...).
    NotRegular(&'static str),
    /// On a file system whose files are made up as they are read.
    Pseudo(&'static str),
    /// Longer than the limit, in bytes.
    TooLarge {
        limit: u64,
    },
    Cancelled,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            ReadError::Pseudo(fs) => write!(f, "it is a file of {fs}, not a regular file"),
            ReadError::TooLarge { limit } => {
                write!(f, "it is larger than the limit of {} MiB", limit >> 20)
            }
            ReadError::Cancelled => write!(f, "cancelled"),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

#[cfg(unix)]
impl From<rustix::io::Errno> for ReadError {
    fn from(e: rustix::io::Errno) -> Self {
        ReadError::Io(e.into())
    }
}

/// Opens `path` (relative to the folder `dir`; `rustix::fs::CWD` for the
/// working folder) for reading if it is a regular file of at most `limit`
/// bytes. With `follow` false, a symbolic link as the last component is
/// refused. The open never blocks (`O_NONBLOCK`: a FIFO would wait for a
/// writer), and what was opened is checked, not what the path named a
/// moment before.
#[cfg(unix)]
pub fn open_regular(
    dir: BorrowedFd<'_>,
    path: &Path,
    follow: bool,
    limit: u64,
) -> Result<File, ReadError> {
    use rustix::fs::FileType;
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = rustix::fs::openat(dir, path, flags, Mode::empty()).map_err(|e| {
        if e == rustix::io::Errno::LOOP && !follow {
            ReadError::NotRegular("a symbolic link")
        } else {
            ReadError::from(e)
        }
    })?;
    let st = rustix::fs::fstat(&fd)?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => {}
        FileType::Directory => return Err(ReadError::NotRegular("a folder")),
        FileType::Fifo => return Err(ReadError::NotRegular("a FIFO")),
        FileType::Socket => return Err(ReadError::NotRegular("a socket")),
        FileType::CharacterDevice => return Err(ReadError::NotRegular("a character device")),
        FileType::BlockDevice => return Err(ReadError::NotRegular("a block device")),
        _ => return Err(ReadError::NotRegular("not a regular file")),
    }
    #[cfg(target_os = "linux")]
    if let Some(fs) = pseudo_file_system(&fd)? {
        return Err(ReadError::Pseudo(fs));
    }
    if st.st_size as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(File::from(fd))
}

/// The name of the kernel's file system `fd` is on, if that is one whose
/// files are generated as they are read (their size says nothing, and a
/// read can have effects): procfs, sysfs and their kin.
#[cfg(target_os = "linux")]
fn pseudo_file_system(fd: &OwnedFd) -> io::Result<Option<&'static str>> {
    // The magic numbers of linux/magic.h.
    const PSEUDO: &[(u64, &str)] = &[
        (0x9fa0, "/proc"),
        (0x6265_6572, "/sys"),
        (0x6462_6720, "debugfs"),
        (0x7472_6163, "tracefs"),
        (0x7363_6673, "securityfs"),
        (0x6265_6570, "configfs"),
        (0x0027_e0eb, "cgroupfs"),
        (0x6367_7270, "cgroup2fs"),
        (0xde5e_81e4, "efivarfs"),
        (0x6165_676c, "pstore"),
        (0xcafe_4a11, "bpffs"),
    ];
    let st = rustix::fs::fstatfs(fd)?;
    #[allow(clippy::unnecessary_cast)] // its type differs between targets
    let kind = st.f_type as u64 & 0xffff_ffff;
    Ok(PSEUDO.iter().find(|(m, _)| *m == kind).map(|(_, n)| *n))
}

/// The first `n` bytes of `file` (fewer if it is shorter).
pub fn read_head(file: &mut File, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    file.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// How much [`read_rest`] reads between two looks at its cancel flag.
const CHUNK: usize = 1 << 20;

/// Reads the rest of `file` onto `buf`, which may hold at most `limit`
/// bytes in the end (a file that grew past it since it was opened is
/// refused too). Between chunks it stops if `cancelled` is set.
pub fn read_rest(
    file: &mut File,
    buf: &mut Vec<u8>,
    limit: u64,
    cancelled: &AtomicBool,
) -> Result<(), ReadError> {
    loop {
        if cancelled.load(Ordering::Relaxed) {
            return Err(ReadError::Cancelled);
        }
        let room = (limit + 1).saturating_sub(buf.len() as u64);
        let got = Read::by_ref(file)
            .take(room.min(CHUNK as u64))
            .read_to_end(buf)?;
        if buf.len() as u64 > limit {
            return Err(ReadError::TooLarge { limit });
        }
        if got == 0 {
            return Ok(());
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use rustix::fs::CWD;

    fn open_dir(p: &Path) -> OwnedFd {
        rustix::fs::open(p, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap()
    }

    #[test]
    fn the_walk_makes_folders_and_refuses_links() {
        let t = tempfile::tempdir().unwrap();
        let root = open_dir(t.path());
        open_dir_beneath(root.as_fd(), Path::new("a/b"), true).unwrap();
        assert!(t.path().join("a/b").is_dir());
        std::os::unix::fs::symlink(t.path().join("a"), t.path().join("link")).unwrap();
        let e = open_dir_beneath(root.as_fd(), Path::new("link/b"), true).unwrap_err();
        assert!(
            matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)),
            "{e}"
        );
        assert!(open_dir_beneath(root.as_fd(), Path::new("../x"), true).is_err());
        assert!(!t.path().join("link/b/x").exists());
    }

    #[test]
    fn writing_replaces_a_link_instead_of_following_it() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("target");
        std::fs::write(&target, b"old").unwrap();
        std::os::unix::fs::symlink(&target, t.path().join("out.pyc")).unwrap();
        let dir = open_dir(t.path());
        write_atomic_at(dir.as_fd(), OsStr::new("out.pyc"), b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(std::fs::read(t.path().join("out.pyc")).unwrap(), b"new");
        assert!(!t.path().join("out.pyc").is_symlink());
        assert!(write_atomic_at(dir.as_fd(), OsStr::new("a/b"), b"x").is_err());
    }

    #[test]
    fn only_regular_files_are_opened() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("fifo");
        rustix::fs::mknodat(
            CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            Mode::from_bits_truncate(0o600),
            0,
        )
        .unwrap();
        let refused = |p: &Path| open_regular(CWD, p, true, 1 << 20).unwrap_err().to_string();
        assert!(refused(&fifo).contains("a FIFO"));
        assert!(refused(Path::new("/dev/zero")).contains("character device"));
        assert!(refused(Path::new("/proc/self/environ")).contains("/proc"));
        assert!(refused(t.path()).contains("folder"));
        let big = t.path().join("big");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(2 << 20)
            .unwrap();
        assert!(refused(&big).contains("limit of 1 MiB"));
        std::os::unix::fs::symlink(&big, t.path().join("link")).unwrap();
        let dir = open_dir(t.path());
        let e = open_regular(dir.as_fd(), Path::new("link"), false, 4 << 20).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
    }

    #[test]
    fn reading_stops_at_the_limit_and_when_cancelled() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("f");
        std::fs::write(&p, vec![7u8; 3 * CHUNK]).unwrap();
        let no = AtomicBool::new(false);
        let mut f = open_regular(CWD, &p, true, 1 << 30).unwrap();
        let mut buf = Vec::new();
        let e = read_rest(&mut f, &mut buf, (2 * CHUNK) as u64, &no).unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { .. }));
        let mut f = open_regular(CWD, &p, true, 1 << 30).unwrap();
        let mut buf = Vec::new();
        let e = read_rest(&mut f, &mut buf, 1 << 30, &AtomicBool::new(true)).unwrap_err();
        assert!(matches!(e, ReadError::Cancelled) && buf.is_empty());
        let mut f = open_regular(CWD, &p, true, 1 << 30).unwrap();
        let mut buf = read_head(&mut f, 16).unwrap();
        read_rest(&mut f, &mut buf, 1 << 30, &no).unwrap();
        assert_eq!(buf.len(), 3 * CHUNK);
    }
}
