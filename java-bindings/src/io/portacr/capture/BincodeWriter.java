package io.portacr.capture;

import java.nio.charset.StandardCharsets;

/**
 * Writes the bincode 2 encoding fixed in spec/contracts.md §8
 * ({@code config::standard().with_little_endian().with_fixed_int_encoding()}, serde):
 * integers fixed-width little-endian, bool one byte, String and Vec prefixed by a u64
 * length, Option by a u8 tag, enums by a u32 variant index, structs as their fields.
 */
final class BincodeWriter {
    private final SectionWriter out;

    BincodeWriter(SectionWriter out) {
        this.out = out;
    }

    BincodeWriter u8(int v) { out.u8(v); return this; }
    BincodeWriter u16(int v) { out.u16(v); return this; }
    BincodeWriter u32(int v) { out.u32(v); return this; }
    BincodeWriter i32(int v) { out.u32(v); return this; }
    BincodeWriter u64(long v) { out.u64(v); return this; }
    BincodeWriter i64(long v) { out.u64(v); return this; }
    BincodeWriter bool(boolean v) { out.u8(v ? 1 : 0); return this; }

    /** Length prefix of a Vec or a map. */
    BincodeWriter seq(int length) { out.u64(length); return this; }

    /** Variant index of an enum value; the variant's fields follow. */
    BincodeWriter variant(int index) { out.u32(index); return this; }

    BincodeWriter none() { out.u8(0); return this; }

    /** Tag of Some; the value follows. */
    BincodeWriter some() { out.u8(1); return this; }

    BincodeWriter string(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.u64(utf8.length);
        out.bytes(utf8, 0, utf8.length);
        return this;
    }

    BincodeWriter optionalString(String s) {
        return s == null ? none() : some().string(s);
    }

    /** A fixed-size byte array {@code [u8; N]}: the bytes, no length. */
    BincodeWriter fixedBytes(byte[] b) {
        out.bytes(b, 0, b.length);
        return this;
    }

    BincodeWriter stringVec(java.util.List<String> values) {
        seq(values.size());
        for (String v : values) string(v);
        return this;
    }
}
