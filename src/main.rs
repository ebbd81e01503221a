// mimalloc instead of the system allocator: allocating and freeing were a fifth of `check`'s
// instructions with glibc's malloc (README "Speed"). The `mimalloc` crate's allocator calls
// `mi_malloc_aligned` for every allocation, which first looks for a free block that happens to
// be aligned; every mimalloc block is a multiple of 8 bytes and starts 16-aligned, so an
// alignment of at most 8 is what `mi_malloc` already gives, and only larger ones need the
// aligned entry points.
struct Allocator;

/// What `mi_malloc` guarantees for any size: blocks are whole words.
const MALLOC_ALIGN: usize = 8;

unsafe impl std::alloc::GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= MALLOC_ALIGN {
                libmimalloc_sys::mi_malloc(layout.size()) as *mut u8
            } else {
                libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= MALLOC_ALIGN {
                libmimalloc_sys::mi_zalloc(layout.size()) as *mut u8
            } else {
                libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        unsafe { libmimalloc_sys::mi_free(ptr as *mut std::ffi::c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        unsafe {
            if layout.align() <= MALLOC_ALIGN {
                libmimalloc_sys::mi_realloc(ptr as *mut std::ffi::c_void, new_size) as *mut u8
            } else {
                libmimalloc_sys::mi_realloc_aligned(ptr as *mut std::ffi::c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

fn main() -> std::process::ExitCode {
    nianbao::cli::main()
}
