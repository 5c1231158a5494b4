//! The functions the host gives the guest besides WASI. Two bracket each
//! handler call: the host times it and holds it to the call's deadline (and
//! fuel) between them, so that one request can run many calls, each with
//! its own limits. The host may also refuse to start a call: its handler
//! has spent its share of the page's time, or the page was cancelled. Two
//! more answer requests for locale data (see `locale_data`).

use handlebox_protocol::CallId;

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "handlebox")]
unsafe extern "C" {
    /// A handler call starts: `item` is the product's index, or -1.
    /// Answers 0 to go ahead, anything else when the call must not run.
    #[link_name = "call_start"]
    fn host_call_start(step: u32, item: i32) -> i32;
    /// The handler call that started last has returned.
    #[link_name = "call_end"]
    fn host_call_end();
    /// Looks up locale data (see `locale_data`); answers the answer's
    /// length, or a negative error code.
    #[link_name = "locale_data"]
    fn host_locale_data(ptr: u32, len: u32) -> i32;
    /// Copies the answer of the last `locale_data` into `ptr`.
    #[link_name = "locale_data_read"]
    fn host_locale_data_read(ptr: u32, len: u32);
}

/// Tells the host that call `id` starts now; `false` when the host says it
/// must not run (then the call has not started and needs no [`call_end`]).
pub(crate) fn call_start(id: CallId) -> bool {
    let step = u32::try_from(id.step).unwrap_or(u32::MAX);
    let item = id
        .item
        .and_then(|item| i32::try_from(item).ok())
        .unwrap_or(-1);
    #[cfg(target_arch = "wasm32")]
    // SAFETY: an import the host defines, taking two integers and answering one.
    let answer = unsafe { host_call_start(step, item) };
    #[cfg(not(target_arch = "wasm32"))]
    let answer = {
        let _ = (step, item);
        0
    };
    answer == 0
}

/// Tells the host that the call that started last has returned.
pub(crate) fn call_end() {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: an import the host defines, taking nothing.
    unsafe {
        host_call_end()
    };
}

/// Asks the host for locale data: the answer's bytes, or the host's error
/// code (positive).
pub(crate) fn locale_data(request: &[u8]) -> Result<Vec<u8>, i32> {
    let len = u32::try_from(request.len()).map_err(|_| 3)?;
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: the host reads `len` bytes at the request's address, which
        // this slice holds, and keeps the answer until it is read.
        let answer = unsafe { host_locale_data(request.as_ptr() as u32, len) };
        let size = usize::try_from(answer).map_err(|_| answer.saturating_neg())?;
        let mut bytes = vec![0u8; size];
        // SAFETY: the host writes `size` bytes, the answer's length, into a
        // buffer of that length.
        unsafe { host_locale_data_read(bytes.as_mut_ptr() as u32, answer as u32) };
        Ok(bytes)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = len;
        Err(4)
    }
}
