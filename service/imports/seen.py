"""Which row of the file first used a key (a serial number, an asset tag): in memory that stays small. Pure code.

A dict of a million string keys costs a few hundred megabytes in Python; the import must stay under 300 MB for a
million rows. This open-addressing table keeps a 64-bit digest and a row number per key in two flat arrays,
12 bytes a slot. Two different keys share a digest (64 bits of Python's string hash) with a chance of about
1 in 10^7 for a million keys, the birthday bound; that row would be refused as a duplicate, never written wrongly.
"""

from __future__ import annotations

from array import array

_EMPTY = 0


def _digest(key: str) -> int:
    value = hash(key) & 0xFFFF_FFFF_FFFF_FFFF
    return value or 1  # 0 marks an empty slot


class KeyIndex:
    def __init__(self, capacity: int = 1 << 12) -> None:
        self._size = 0
        self._allocate(capacity)

    @classmethod
    def for_keys(cls, expected: int) -> KeyIndex:
        """Sized for ``expected`` keys from the start: growing there rehashes every key, in Python, once per doubling
        (a tenth of a second per 100k rows); the size is the one growing would reach."""
        return cls(1 << max(12, (2 * expected - 1).bit_length()))

    def _allocate(self, capacity: int) -> None:
        self._mask = capacity - 1
        self._digests = array("Q", bytes(8 * capacity))
        self._rows = array("I", bytes(4 * capacity))  # row numbers up to 4 294 967 295

    def __len__(self) -> int:
        return self._size

    def _slot(self, digest: int) -> int:
        slot = digest & self._mask
        digests = self._digests
        while digests[slot] != _EMPTY and digests[slot] != digest:
            slot = (slot + 1) & self._mask
        return slot

    def first_row(self, key: str) -> int | None:
        slot = self._slot(_digest(key))
        return self._rows[slot] if self._digests[slot] != _EMPTY else None

    def add(self, key: str, row: int) -> int | None:
        """Remembers ``key`` at ``row`` unless it was seen before; returns the earlier row if it was."""
        digest = _digest(key)
        digests, mask = self._digests, self._mask
        slot = digest & mask
        while (found := digests[slot]) != _EMPTY:
            if found == digest:
                return self._rows[slot]
            slot = (slot + 1) & mask
        digests[slot] = digest
        self._rows[slot] = row
        self._size += 1
        if self._size * 2 > len(digests):
            self._grow()
        return None

    def _grow(self) -> None:
        old_digests, old_rows = self._digests, self._rows
        self._allocate(len(old_digests) * 2)
        for digest, row in zip(old_digests, old_rows, strict=True):
            if digest != _EMPTY:
                slot = self._slot(digest)
                self._digests[slot] = digest
                self._rows[slot] = row
