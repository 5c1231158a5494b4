//! The JavaScript side of the Handlebox sandbox, compiled to `wasm32-wasip1`.
//!
//! One instance of this module serves one page. [`hb_prepare`] builds the
//! JavaScript world ahead of time (the host snapshots the instance after
//! it); a `Compile` request adds a project's handlers (the host keeps the
//! instance's memory after it as the project's image); an `Open` request
//! starts a page. The host talks to it through three exports: [`hb_alloc`]
//! and [`hb_free`] manage buffers in the guest's memory, and [`hb_handle`]
//! takes one JSON request (see `handlebox-protocol`) and returns one JSON
//! response. The world ([`world`]), the page's data ([`data`]) and its
//! compiled handlers live in thread-locals for the instance's whole life;
//! the host enforces time and memory from outside, per handler call
//! ([`host`]).

mod browser;
mod cldr_patterns;
mod data;
mod dom;
mod errors;
mod handlers;
mod host;
mod json;
mod lint;
mod locale_data;
mod plan;
mod schema;
mod v8;
mod world;

use handlebox_protocol::{ErrorInfo, ErrorKind, PageContextText, Request, Response};

use world::World;

/// Builds the JavaScript world (Boa context and runtime) ahead of any page;
/// the host calls it once and snapshots the instance, so that each page's
/// fresh instance starts with the world already built.
#[unsafe(no_mangle)]
pub extern "C" fn hb_prepare() {
    World::prepare();
}

/// Reserves `len` bytes in guest memory for the host to write into.
#[unsafe(no_mangle)]
pub extern "C" fn hb_alloc(len: u32) -> u32 {
    let mut buffer = Vec::<u8>::with_capacity(len as usize);
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr as u32
}

/// Releases a buffer obtained from [`hb_alloc`] or returned by [`hb_handle`].
///
/// # Safety
/// `ptr` and `len` must describe a buffer this module handed out and that
/// has not been freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hb_free(ptr: u32, len: u32) {
    // SAFETY: the caller passes back a buffer allocated here with this capacity.
    drop(unsafe { Vec::from_raw_parts(ptr as *mut u8, 0, len as usize) });
}

/// Handles one JSON request of `len` bytes at `ptr` (a buffer from
/// [`hb_alloc`], which this call frees) and returns the response buffer as
/// `ptr << 32 | len`; the host frees it with [`hb_free`].
///
/// # Safety
/// `ptr` and `len` must describe a buffer from [`hb_alloc`] holding `len`
/// initialised bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hb_handle(ptr: u32, len: u32) -> u64 {
    // SAFETY: the host wrote `len` bytes into a buffer of capacity `len` from `hb_alloc`.
    let input = unsafe { Vec::from_raw_parts(ptr as *mut u8, len as usize, len as usize) };
    let response = match serde_json::from_slice::<Request>(&input) {
        Ok(request) => {
            drop(input);
            handle(request)
        }
        Err(err) => refused(format!("malformed request: {err}")),
    };
    let text = serde_json::to_vec(&response)
        .unwrap_or_else(|_| br#"{"refused":{"error":{"kind":"output","message":"unencodable response","line":null,"column":null}}}"#.to_vec());
    let mut text = text.into_boxed_slice();
    let out_len = text.len() as u64;
    let out_ptr = text.as_mut_ptr() as u64;
    std::mem::forget(text);
    (out_ptr << 32) | out_len
}

fn handle(request: Request) -> Response {
    let answer = match request {
        Request::Compile { handlers, limits } => World::with(|world| Response::Checked {
            handlers: world.compile(handlers, limits),
        }),
        Request::Open { page } => match serde_json::from_str::<PageContextText>(page.get()) {
            Ok(page) => World::with(|world| {
                world.open(page);
                Response::Ready
            }),
            Err(err) => Err(errors::input(format!("the page is not readable: {err}"))),
        },
        Request::Parse => World::with(|world| {
            world.parse_document();
            Response::Ready
        }),
        Request::Call {
            digital_data,
            handler,
            arg,
        } => World::with(|world| {
            if let Some(value) = digital_data {
                world.set_digital_data(value);
            }
            world.call(handler, arg.get())
        }),
        Request::Event {
            digital_data,
            event,
            steps,
            skip,
            struck,
            trace,
        } => World::with(|world| {
            if let Some(value) = digital_data {
                world.set_digital_data(value);
            }
            let skips = plan::Skips {
                calls: &skip,
                handlers: &struck,
            };
            plan::run(world, event.get(), &steps, &skips, trace)
        }),
    };
    answer.unwrap_or_else(|error| Response::Refused { error })
}

fn refused(message: String) -> Response {
    Response::Refused {
        error: ErrorInfo {
            kind: ErrorKind::Input,
            message,
            line: None,
            column: None,
        },
    }
}
