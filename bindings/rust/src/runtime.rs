//! Runtimes: the I/O threads that serve clients.

use std::ptr;

use crate::error::{Result, check};
use crate::sys;

/// A set of I/O threads serving any number of clients.
///
/// Clients made without one share a default runtime with one I/O thread, kept until the process
/// exits. Dropping a `Runtime` only drops this handle: clients created on it keep it running,
/// and its threads stop once the last of them is gone.
///
/// ```
/// let runtime = tether::Runtime::new(2)?;
/// let mut options = tether::Options::new();
/// options.url("ws://127.0.0.1:8080/echo")?;
/// let client = tether::Client::builder(&options).runtime(&runtime).build()?;
/// drop(runtime); // the client keeps the threads running
/// drop(client);
/// # Ok::<(), tether::Error>(())
/// ```
#[derive(Debug)]
pub struct Runtime {
    raw: *mut sys::tether_runtime,
}

// SAFETY: tether.h marks tether_runtime_new thread-safe and says tether_runtime_destroy "may be
// called from any thread"; a runtime has no other operations, and passing it to
// tether_client_new from several threads at once is part of that thread-safe use.
unsafe impl Send for Runtime {}
// SAFETY: as above; `&Runtime` only lends the pointer to tether_client_new.
unsafe impl Sync for Runtime {}

impl Runtime {
    /// A runtime with `threads` I/O threads (1 to 64).
    ///
    /// ```
    /// assert!(tether::Runtime::new(1).is_ok());
    /// let err = tether::Runtime::new(0).unwrap_err();
    /// assert_eq!(err.status, tether::Status::INVALID_ARGUMENT);
    /// ```
    pub fn new(threads: u32) -> Result<Runtime> {
        let threads = i32::try_from(threads).unwrap_or(i32::MAX);
        let mut raw = ptr::null_mut();
        // SAFETY: `raw` is a valid out-pointer; an out-of-range count is reported, not UB.
        check(unsafe { sys::tether_runtime_new(&mut raw, threads) })?;
        Ok(Runtime { raw })
    }

    /// The raw handle, still owned by `self`.
    ///
    /// ```
    /// assert!(!tether::Runtime::new(1)?.as_raw().is_null());
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn as_raw(&self) -> *mut sys::tether_runtime {
        self.raw
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // SAFETY: created by tether_runtime_new and released once, here; never blocks.
        unsafe { sys::tether_runtime_destroy(self.raw) };
    }
}
