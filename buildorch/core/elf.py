"""ELF facts read in Python: architecture, static or dynamic, stripped (no shell in the image needed)."""

from __future__ import annotations

import struct
from typing import Any

_MACHINES = {3: "x86", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390", 40: "arm", 62: "x86-64", 183: "aarch64",
             243: "riscv", 258: "loongarch"}
_PT_INTERP = 3
_SHT_SYMTAB = 2


def elf_facts(data: bytes) -> dict[str, Any] | None:
    """``{"machine": "aarch64", "bits": 64, "static": True, "stripped": True}``, or None if not ELF."""
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return None
    bits = 64 if data[4] == 2 else 32
    end = "<" if data[5] == 1 else ">"
    (machine,) = struct.unpack_from(end + "H", data, 18)
    if bits == 64:
        phoff, shoff = struct.unpack_from(end + "QQ", data, 32)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(end + "HHHH", data, 54)
    else:
        phoff, shoff = struct.unpack_from(end + "II", data, 28)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(end + "HHHH", data, 42)
    interp = False
    for i in range(phnum):
        off = phoff + i * phentsize
        if off + 4 <= len(data) and struct.unpack_from(end + "I", data, off)[0] == _PT_INTERP:
            interp = True
    symtab = False
    for i in range(shnum):
        off = shoff + i * shentsize + 4
        if off + 4 <= len(data) and struct.unpack_from(end + "I", data, off)[0] == _SHT_SYMTAB:
            symtab = True
    return {
        "machine": _MACHINES.get(machine, f"e_machine={machine}"),
        "bits": bits,
        "static": not interp,
        "stripped": not symtab,
    }
