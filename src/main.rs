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

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::{GlobalAlloc, Layout};

    /// Every size a small-block bin or a large block can serve, at each alignment, is aligned as
    /// asked, and growing or shrinking keeps the bytes (the unaligned and aligned paths alike).
    #[test]
    fn blocks_are_aligned_as_asked_and_realloc_keeps_the_bytes() {
        let sizes: Vec<usize> = (1..=520).chain([1000, 4096, 4097, 65536, 1 << 20, (1 << 22) + 3]).collect();
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            let mut kept = Vec::new();
            for &size in &sizes {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = Allocator.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    let z = Allocator.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed size {size} align {align}");
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    Allocator.dealloc(z, layout);
                    for i in 0..size {
                        *p.add(i) = (i % 251) as u8;
                    }
                    let grown = size * 3 + 7;
                    let q = Allocator.realloc(p, layout, grown);
                    assert_eq!(q as usize % align, 0, "realloc size {size} align {align}");
                    assert!((0..size).all(|i| *q.add(i) == (i % 251) as u8));
                    let small = size.div_ceil(2);
                    let r = Allocator.realloc(q, Layout::from_size_align(grown, align).unwrap(), small);
                    assert_eq!(r as usize % align, 0);
                    assert!((0..small).all(|i| *r.add(i) == (i % 251) as u8));
                    // Keep some blocks alive so later ones come from partly used pages.
                    if size % 3 == 0 {
                        kept.push((r, Layout::from_size_align(small, align).unwrap()));
                    } else {
                        Allocator.dealloc(r, Layout::from_size_align(small, align).unwrap());
                    }
                }
            }
            for (p, l) in kept {
                unsafe { Allocator.dealloc(p, l) }
            }
        }
    }
}
