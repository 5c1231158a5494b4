//! The two functions the host gives the guest besides WASI: the host times
//! each handler call and holds it to the call's deadline (and fuel) between
//! them, so that one request can run many calls, each with its own limits.
//! The host may also refuse to start a call: its handler has spent its
//! share of the page's time, or the page was cancelled.

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
