"""CSR numbers and names: the one table used to name CSRs (disassembly, traces, errors).

It lists names only; which CSRs the simulated hart implements is decided elsewhere.
"""

CSRS: tuple[tuple[int, str], ...] = (
    # Unprivileged floating point and counters.
    (0x001, "fflags"), (0x002, "frm"), (0x003, "fcsr"),
    (0xC00, "cycle"), (0xC01, "time"), (0xC02, "instret"),
    *((0xC00 + i, f"hpmcounter{i}") for i in range(3, 32)),
    (0xC80, "cycleh"), (0xC81, "timeh"), (0xC82, "instreth"),
    *((0xC80 + i, f"hpmcounter{i}h") for i in range(3, 32)),
    # Supervisor (named for disassembly; Snitch has M and U mode only).
    (0x100, "sstatus"), (0x104, "sie"), (0x105, "stvec"), (0x106, "scounteren"),
    (0x10A, "senvcfg"), (0x140, "sscratch"), (0x141, "sepc"), (0x142, "scause"),
    (0x143, "stval"), (0x144, "sip"), (0x180, "satp"),
    # Machine information, trap setup and trap handling.
    (0xF11, "mvendorid"), (0xF12, "marchid"), (0xF13, "mimpid"), (0xF14, "mhartid"),
    (0xF15, "mconfigptr"),
    (0x300, "mstatus"), (0x301, "misa"), (0x302, "medeleg"), (0x303, "mideleg"),
    (0x304, "mie"), (0x305, "mtvec"), (0x306, "mcounteren"), (0x310, "mstatush"),
    (0x30A, "menvcfg"), (0x31A, "menvcfgh"), (0x747, "mseccfg"), (0x757, "mseccfgh"),
    (0x340, "mscratch"), (0x341, "mepc"), (0x342, "mcause"), (0x343, "mtval"),
    (0x344, "mip"), (0x34A, "mtinst"), (0x34B, "mtval2"),
    # Memory protection.
    *((0x3A0 + i, f"pmpcfg{i}") for i in range(4)),
    *((0x3B0 + i, f"pmpaddr{i}") for i in range(16)),
    # Machine counters.
    (0xB00, "mcycle"), (0xB02, "minstret"),
    *((0xB00 + i, f"mhpmcounter{i}") for i in range(3, 32)),
    (0xB80, "mcycleh"), (0xB82, "minstreth"),
    *((0xB80 + i, f"mhpmcounter{i}h") for i in range(3, 32)),
    (0x320, "mcountinhibit"),
    *((0x320 + i, f"mhpmevent{i}") for i in range(3, 32)),
    # Debug and trigger.
    (0x7A0, "tselect"), (0x7A1, "tdata1"), (0x7A2, "tdata2"), (0x7A3, "tdata3"),
    (0x7A8, "mcontext"), (0x7B0, "dcsr"), (0x7B1, "dpc"), (0x7B2, "dscratch0"),
    (0x7B3, "dscratch1"),
    # Snitch custom CSRs (snitch.md section 4).
    (0x7C0, "ssr"), (0x7C1, "fpmode"), (0x7C2, "barrier"), (0x7C3, "sc"),
)  # fmt: skip

CSR_NAMES: dict[int, str] = dict(CSRS)
CSR_NUMBERS: dict[str, int] = {name: num for num, name in CSRS}
assert len(CSR_NAMES) == len(CSR_NUMBERS) == len(CSRS), "duplicate CSR number or name"


def csr_name(num: int) -> str:
    """Name of CSR `num`, or its number in hex (as objdump prints unknown CSRs)."""
    return CSR_NAMES.get(num) or f"0x{num:x}"
