#!/usr/bin/env python3
"""Writes the hostile and odd image files of tests/data/hostile/ (deterministic; run from anywhere).

Each targets a known weakness of Debian's stb_image 2.27 or of image loaders in general. The tests
(tests/core/test_untrusted.cpp) expect a clean "could not decode FILE: ..." message, or a correct
decode, for every one of them, and never a crash of the test process.
"""
import os
import random
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, depth, color_type, raw):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw, 9)) +
            png_chunk(b"IEND", b""))


def jpeg(dc_counts, dc_values, ac_counts, ac_values, scan):
    """A baseline 8x8 grayscale JPEG with the given Huffman tables (placed after SOF0) and scan bytes."""
    def seg(marker, body):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body
    dqt = seg(0xDB, b"\x00" + bytes([1] * 64))
    sof = seg(0xC0, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00")
    dht_dc = seg(0xC4, b"\x00" + bytes(dc_counts) + bytes(dc_values))
    dht_ac = seg(0xC4, b"\x10" + bytes(ac_counts) + bytes(ac_values))
    sos = seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return b"\xff\xd8" + dqt + sof + dht_dc + dht_ac + sos + scan + b"\xff\xd9"


ONE_CODE = [1] + [0] * 15  # a single 1-bit code, "0"

# A valid 8x8 gray JPEG: DC difference 0 ("0"), end of block ("0"), padded with ones: every pixel 128.
good_jpeg = jpeg(ONE_CODE, [0], ONE_CODE, [0], b"\x3f")
write("gray128_jpeg_named.png", good_jpeg)  # a JPEG called .png: recognised by content, loads

# A valid 3x2 RGB PNG called .jpg: loads, pixels 0..17.
write("rgb_png_named.jpg", png(3, 2, 8, 2, b"".join(b"\x00" + bytes(range(y * 9, y * 9 + 9)) for y in range(2))))

# JPEG Huffman tables whose code counts sum to 4080 (> 256 symbols): stb_image 2.27 writes past
# the table's arrays while building it (no "n > 256" check) before it notices the bad lengths.
# (qviz refuses such tables before stb_image sees them; a debug build of stb_image asserts.)
write("jpeg_dht_overflow.jpg", jpeg(ONE_CODE, [0], [255] * 16, [0] * 4080, b"\x3f"))

# 45 fifteen-bit and 255 sixteen-bit DC codes (300 symbols, more than the 256 the tables hold):
# decoding the sixteen-bit code 301, which the scan holds, indexes symbol 256, past the array
# (an out-of-bounds read in stbi__jpeg_huff_decode).
write("jpeg_huffman_oob.jpg", jpeg([0] * 14 + [45, 255], [0xEE] * 300, ONE_CODE, [0], b"\x01\x2d\x7f"))

# A JPEG cut after its first segment header.
write("jpeg_truncated.jpg", good_jpeg[:20])

# 16-bit binary PGM: stb_image 2.27 overflows the heap converting it. PNM is not a documented
# format, so it is refused by content, whatever its name.
write("pnm16.png", b"P5\n4 4\n65535\n" + bytes(range(32)))

# Tiny PNGs whose headers promise huge images.
write("png_60000x60000.png", png(60000, 60000, 8, 6, b"\x00" * 100))       # over the side limit
write("png_20000x20000_gray.png", png(20000, 20000, 8, 0, b"\x00" * 100))  # over the pixel limit
write("png_16384x16384_rgba16.png", png(16384, 16384, 16, 6, b"\x00" * 1000))  # 2 GiB: over the budget
write("png_16384x16384_rgb.png", png(16384, 16384, 8, 2, b"\x00" * 1000))  # 768 MiB: over the 512 MiB an image may use
write("png_8000x8000_short.png", png(8000, 8000, 8, 2, b"\x00" * 1000))   # within limits, data missing

# A real PNG cut in half, a zero-byte file and random bytes.
rng = random.Random(8)
noise_rgb = bytes(rng.randrange(256) for _ in range(64 * 64 * 3))
full = png(64, 64, 8, 2, b"".join(b"\x00" + noise_rgb[y * 192:(y + 1) * 192] for y in range(64)))
write("truncated.png", full[: len(full) // 2])
write("empty.png", b"")
noise = bytearray(rng.randrange(256) for _ in range(4096))
noise[0], noise[2] = 0x13, 0x7F  # neither a signature nor a plausible TGA header
write("random.jpg", bytes(noise))

# BMP and TGA headers that promise huge images.
bmp = b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 100000, 100000, 1, 24, 0, 0, 0, 0, 0, 0)
write("bmp_100000x100000.bmp", bmp)
write("tga_30000x30000.tga", struct.pack("<BBBHHBHHHHBB", 0, 0, 2, 0, 0, 0, 0, 0, 30000, 30000, 32, 8))


# ---- Hostile tensor files (issue 15): tests/cli/test_cli_untrusted.cpp runs `quantize-tensor` on
# each as tensors.tsv lists it (file, exit code, message) and checks that nothing changed on disk.
# The 100 MB headers (deep nesting, a huge table) are made by the test itself.
def safetensors(header, data=b""):
    h = header.encode() if isinstance(header, str) else header
    return struct.pack("<Q", len(h)) + h + data


def npy(header_dict, data=b""):
    h = header_dict
    while (10 + len(h) + 1) % 64:
        h += " "
    h += "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data


W = '"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}'
F1 = struct.pack("<f", 1.0)
write("st_deep.safetensors", safetensors('{"w": ' + "[" * 4096))                    # 15.4: refused at the 5th level
write("st_deep_metadata.safetensors", safetensors('{"__metadata__": {"a": [[[[]]]]}}'))  # 5 levels in the metadata
write("st_dup_tensor.safetensors", safetensors("{" + W + ", " + W + "}", F1))        # 15.8: a name twice
write("st_dup_key.safetensors", safetensors('{"w": {"dtype": "F32", "dtype": "F16", "shape": [1], "data_offsets": [0, 4]}}', F1))
write("st_nul.safetensors", safetensors(b'{}\x00{"w": [[[[[', F1))                   # text after a NUL was never read
write("st_long_array.safetensors", safetensors('{"w": [' + ",".join(["1"] * 100000) + "]}"))  # a value not kept costs nothing
write("st_wide_shape.safetensors", safetensors('{"w": {"dtype": "F32", "shape": [' + ",".join(["1"] * 100000) +
                                               '], "data_offsets": [0, 4]}}', F1))
write("st_long_dtype.safetensors", safetensors('{"w": {"dtype": "' + "X" * 100000 + '", "shape": [1], "data_offsets": [0, 4]}}', F1))
write("st_header_2p63.safetensors", struct.pack("<Q", 1 << 63) + b"{}")              # header length from 8 bytes alone
write("st_overlap.safetensors", safetensors("{" + W + ', "v": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', F1))
write("st_offsets_outside.safetensors", safetensors('{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}}', F1))
write("st_numpy_refuses.safetensors", safetensors('{"w": {"dtype": "F32", "shape": [4611686018427387904, 4611686018427387904, 0], '
                                                  '"data_offsets": [0, 0]}}'))
write("st_4tib_no_data.safetensors", safetensors('{"w": {"dtype": "F32", "shape": [1099511627776], "data_offsets": [0, 0]}}'))
write("npy_2p62_2p62_0.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904, 0), }"))
write("npy_over_budget.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }"))
write("npy_65_dims.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, " * 65 + "), }", F1))
write("npy_negative_dim.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", F1))
write("npy_short_data.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", F1))
