//! The two functions the host gives the guest besides WASI: the host times
//! each handler call and holds it to the call's deadline (and fuel) between
//! them, so that one request can run many calls, each with its own limits.

use handlebox_protocol::CallId;

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "handlebox")]
unsafe extern "C" {
    /// A handler call starts: `item` is the product's index, or -1.
    #[link_name = "call_start"]
    fn host_call_start(step: u32, item: i32);
    /// The handler call that started last has returned.
    #[link_name = "call_end"]
    fn host_call_end();
}

/// Tells the host that call `id` starts now.
pub(crate) fn call_start(id: CallId) {
    let step = u32::try_from(id.step).unwrap_or(u32::MAX);
    let item = id
        .item
        .and_then(|item| i32::try_from(item).ok())
        .unwrap_or(-1);
    #[cfg(target_arch = "wasm32")]
    // SAFETY: an import the host defines, taking two integers and nothing else.
    unsafe {
        host_call_start(step, item)
    };
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (step, item);
}

/// Tells the host that the call that started last has returned.
pub(crate) fn call_end() {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: an import the host defines, taking nothing.
    unsafe {
        host_call_end()
    };
}
