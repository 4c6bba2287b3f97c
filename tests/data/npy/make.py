#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Regenerates the .npy fixtures of tests/test_npy.c with numpy's own writer.
import os

import numpy as np
from numpy.lib import format as npf

os.chdir(os.path.dirname(os.path.abspath(__file__)))

CODES = ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8"]


def values(code):
    """min, max, 0, 1, 2, 3 of the type (as the test expects)."""
    dt = np.dtype(code)
    info = np.finfo(dt) if dt.kind == "f" else np.iinfo(dt)
    return np.array([info.min, info.max, 0, 1, 2, 3], dtype=dt).reshape(2, 3)


# One little-endian file per type, shape (2, 3), by np.save.
for code in CODES:
    np.save(code + ".npy", values("<" + code))
# Big-endian ones (numpy writes '|' for one-byte types whatever asked).
for code in ["i2", "u4", "i8", "f4", "f8"]:
    np.save("be_" + code + ".npy", values(">" + code))
# Versions 2.0 and 3.0, which np.save only uses for huge headers.
for v in [2, 3]:
    with open("v%d_f4.npy" % v, "wb") as f:
        npf.write_array(f, values("<f4"), version=(v, 0))
np.save("scalar_f8.npy", np.float64(2.5))
np.save("vec_u2.npy", np.arange(5, dtype="<u2"))
np.save("empty_f4.npy", np.zeros((0, 3), dtype="<f4"))
np.save("fortran_f4.npy", np.asfortranarray(values("<f4")))
# Types cubefs refuses.
np.save("unsup_c8.npy", np.zeros(2, dtype="<c8"))
np.save("unsup_b1.npy", np.zeros(2, dtype="?"))
np.save("unsup_U5.npy", np.array(["ab", "cd"], dtype="<U5"))
np.save("unsup_f2.npy", np.zeros(2, dtype="<f2"))
np.save("unsup_O.npy", np.array([None, 1], dtype=object))
np.save("unsup_struct.npy",
        np.zeros(1, dtype=[("a", "<f4"), ("b", "<i2", (2,))]))

# Headers only, as np.save writes them, for shapes too big to store.
HEADERS = [
    ("hdr_f4_8x11x77x76", "<f4", (8, 11, 77, 76)),
    ("hdr_u1_5", "|u1", (5,)),
    ("hdr_i1_3x4", "|i1", (3, 4)),
    ("hdr_f8_scalar", "<f8", ()),
    ("hdr_i2_0", "<i2", (0,)),
    ("hdr_i8_2p40x3", "<i8", (2**40, 3)),
    ("hdr_u1_maxdim", "|u1", (2**64 - 1,)),
    ("hdr_u2_32dims", "<u2", (1,) * 31 + (7,)),
    # 10 + dict + '\n' is a multiple of 64: numpy pads 64 spaces, not 0.
    ("hdr_f4_pad64", "<f4", (1,) + (2,) * 11 + (100000,)),
]
for name, descr, shape in HEADERS:
    with open(name + ".hdr", "wb") as f:
        npf.write_array_header_1_0(
            f, {"descr": descr, "fortran_order": False, "shape": shape})
