"""Rounding modes, exception flags and the two IEEE 754 binary formats (binary32, binary64)."""

RNE, RTZ, RDN, RUP, RMM = 0, 1, 2, 3, 4  # frm / rm encodings
NX, UF, OF, DZ, NV = 1, 2, 4, 8, 16  # fflags bits


class Format:
    """One binary interchange format; every value is a raw bit pattern (a Python int).

    A finite value is decoded as (-1)^sign * m * 2^e with an integer significand m:
    subnormals have exponent field 0 and e = qmin, the exponent of the smallest subnormal.
    """

    __slots__ = (
        "name", "bits", "exp_bits", "frac_bits", "bias", "precision", "sign_bit", "mag_mask",
        "frac_mask", "exp_max", "hidden", "inf", "max_finite", "canonical_nan", "quiet_bit", "qmin", "emin",
    )

    def __init__(self, name, bits, exp_bits):
        self.name = name
        self.bits = bits
        self.exp_bits = exp_bits
        self.frac_bits = fb = bits - 1 - exp_bits
        self.bias = (1 << (exp_bits - 1)) - 1
        self.precision = fb + 1
        self.sign_bit = 1 << (bits - 1)
        self.mag_mask = self.sign_bit - 1
        self.frac_mask = (1 << fb) - 1
        self.exp_max = (1 << exp_bits) - 1  # exponent field of inf / NaN
        self.hidden = 1 << fb
        self.inf = self.exp_max << fb
        self.max_finite = self.inf - 1
        self.quiet_bit = 1 << (fb - 1)
        self.canonical_nan = self.inf | self.quiet_bit
        self.emin = 1 - self.bias  # exponent of the smallest normal, 2^emin
        self.qmin = self.emin - fb  # smallest subnormal is 2^qmin

    def __repr__(self):
        return self.name


F32 = Format("F32", 32, 8)
F64 = Format("F64", 64, 11)

