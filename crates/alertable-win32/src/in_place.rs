//! State words inside caller memory, at any address.
//!
//! The lock-like structures of the C ABI — `SRWLOCK`, `CONDITION_VARIABLE`,
//! `CRITICAL_SECTION`, `INIT_ONCE` and `SYNCHRONIZATION_BARRIER` — live in the caller's memory, not in the library, and
//! Windows on x86-64 gives them their full behaviour at any address: a program may place
//! one at an odd offset of a buffer or inside a packed structure. The library keeps their
//! state in 32-bit words that threads sleep on with futexes, and both Rust's atomics and the
//! futex call need such a word naturally aligned. This module finds one, the same way for
//! every structure:
//!
//! > A state word is the **first 4-byte aligned word lying wholly inside a field** of the
//! > structure. The caller names the fields it may use, in order of preference; the last
//! > one is at least 7 bytes long, so it always holds an aligned word (at most 3 bytes
//! > from its start).
//!
//! A pointer-sized structure (`SRWLOCK`, `CONDITION_VARIABLE`, `INIT_ONCE`) names its 8
//! bytes as one field; a larger one names the field documented to hold the state first and
//! a pointer-sized field as the fallback. So the state always lies in the structure's own
//! bytes: zeroed memory is a free lock at any address, nothing is allocated, and memory
//! freed or reused while a lock in it is held needs no clean-up — as on Windows. (A side
//! table keyed by address would give the same guarantees while a structure is in use, but
//! an entry left behind by memory freed with its lock held would make a new, zeroed
//! structure at that address look held.)
//!
//! # What a program sees in the structure's bytes
//!
//! | structure            | aligned as the SDK declares it            | at another address                        |
//! |----------------------|-------------------------------------------|-------------------------------------------|
//! | `SRWLOCK`            | the state is the low 32 bits of `Ptr`: `Ptr` reads 0 when free, 1 held exclusively, `n << 4 \| 1` held shared by `n` without waiters (as on Windows) | the state is the aligned 4 bytes among its 8, so `Ptr` reads it shifted by 8 × (bytes before them) bits |
//! | `CONDITION_VARIABLE` | a wake-up sequence number in the low 32 bits of `Ptr` | the same number in the aligned 4 bytes among its 8 |
//! | `CRITICAL_SECTION`   | `LockCount` is the lock word, the low 32 bits of `OwningThread` the owner's thread id, `RecursionCount` the depth; `DebugInfo` is `(void *)-1` | at a 4-byte aligned address the same; otherwise the lock word is the aligned 4 bytes inside `LockSemaphore`, the owner's id the aligned 4 bytes inside `OwningThread` (read shifted), `RecursionCount` and `DebugInfo` as when aligned, and `LockCount` stays 0 |
//! | `INIT_ONCE`          | the state and the context's slot in the low 32 bits of `Ptr` (`synchapi::init_once`) | the same in the aligned 4 bytes among its 8 |
//! | `SYNCHRONIZATION_BARRIER` | the phase word, the total and the inside count at bytes 0, 8 and 16 (`synchapi::barrier`) | the first aligned words in bytes 0–6, 8–14 and 16–22 |
//!
//! The fields a program may read on Windows keep their meaning wherever the structure is
//! aligned as declared; at other addresses only the behaviour is promised, as the
//! structures are opaque on Windows too.

use std::sync::atomic::AtomicU32;

/// Bytes `offset..offset + len` of a structure: a place where a state word may live.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    /// Where the field starts, in bytes from the structure's start.
    pub(crate) offset: usize,
    /// The field's length in bytes.
    pub(crate) len: usize,
}

impl Field {
    /// The whole of a pointer-sized structure.
    pub(crate) const POINTER: Field = Field { offset: 0, len: 8 };
}

/// The offset, from `base`, of the first 4-byte aligned word wholly inside `field` of a
/// structure at address `base`, if the field holds one.
fn aligned_offset(base: usize, field: Field) -> Option<usize> {
    let start = base.wrapping_add(field.offset);
    let skip = start.wrapping_neg() % 4;
    (skip + 4 <= field.len).then_some(field.offset + skip)
}

/// The state word of the structure at `base`: the first aligned 32-bit word inside the
/// first of `fields` that holds one.
///
/// # Panics
///
/// If none does, which cannot happen when the last field is at least 7 bytes long (the
/// callers' fields are constants).
///
/// # Safety
///
/// `base` points to a live structure that contains every field of `fields`, and the bytes
/// of the word returned are accessed only atomically while the reference is in use (by this
/// library, which names the same fields for a structure every time).
pub(crate) unsafe fn word<'a, T>(base: *mut T, fields: &[Field]) -> &'a AtomicU32 {
    let offset = fields
        .iter()
        .find_map(|&field| aligned_offset(base as usize, field))
        .expect("the last field holds an aligned word");
    // SAFETY: the word lies inside one of the structure's fields (`aligned_offset`), so
    // inside the live structure (caller); it is 4-byte aligned, as `AtomicU32` needs, and
    // accessed only atomically meanwhile (caller).
    unsafe { AtomicU32::from_ptr(base.cast::<u8>().add(offset).cast()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pointer_sized_structure_has_a_word_at_every_offset() {
        for base in 0x1000..0x1010_usize {
            let offset = aligned_offset(base, Field::POINTER).expect("a word");
            assert_eq!((base + offset) % 4, 0);
            assert!(offset + 4 <= 8);
            // The first such word: none starts earlier.
            assert!(offset < 4);
        }
    }

    #[test]
    fn an_aligned_structure_uses_its_first_bytes() {
        assert_eq!(aligned_offset(0x1000, Field::POINTER), Some(0));
        assert_eq!(aligned_offset(0x1004, Field::POINTER), Some(0));
        let count = Field { offset: 8, len: 4 };
        assert_eq!(aligned_offset(0x1000, count), Some(8));
        assert_eq!(aligned_offset(0x1004, count), Some(8));
        assert_eq!(aligned_offset(0x1001, count), None);
        assert_eq!(
            aligned_offset(0x1003, Field { offset: 24, len: 8 }),
            Some(25)
        );
    }
}
