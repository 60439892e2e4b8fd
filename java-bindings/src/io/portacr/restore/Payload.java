package io.portacr.restore;

import io.portacr.JdkUnsafe;

import io.portacr.Native;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The decoded payload of one image section, read in place: the agent keeps it in native
 * memory for the life of the process and hands a direct buffer over it
 * ({@link Native#restoreSection}); reads go straight to that address with Unsafe, each one
 * bounds-checked, so a damaged image fails with a message, never a crash.
 *
 * <p>Also a cursor for the bincode sections (spec/image-format.md §6: fixed-width
 * little-endian integers, u64 lengths, UTF-8 strings, u32 enum variants, u8 option tags).
 */
final class Payload {
    static final int PLATFORM = 1, LAUNCH = 2, CLASSES = 3, SYMREFS = 4, OBJECTS = 5, STATICS = 6;
    /**
     * Not image sections: the agent's reference stream of pass 2 and the control block in
     * which the rebuild says how far it has read (restore/heap_payload.rs, spec/restore.md §4.1).
     */
    static final int REFS = 100, CONTROL = 101;
    private static final String[] NAMES = {"?", "PLATFORM", "LAUNCH", "CLASSES", "SYMREFS", "OBJECTS", "STATICS"};

    /** Keeps the buffer (and so the agent's memory mapping) reachable. */
    private final ByteBuffer buffer;
    final long base;
    final long length;
    final String section;
    /** Cursor of the bincode reads. */
    long pos;

    private Payload(ByteBuffer buffer, long base, long length, String section) {
        this.buffer = buffer;
        this.base = base;
        this.length = length;
        this.section = section;
    }

    static Payload of(int kind) throws RestoreFailedException {
        String name = kind < NAMES.length ? NAMES[kind] : kind == REFS ? "OBJECTS references" : kind == CONTROL ? "control" : "kind " + kind;
        ByteBuffer b;
        try {
            b = Native.restoreSection(kind);
        } catch (IllegalStateException e) {
            throw new RestoreFailedException(e.getMessage());
        }
        if (b == null || !b.isDirect()) throw new RestoreFailedException("section " + name + " is not available");
        long address = JdkUnsafe.getLong(b, JdkUnsafe.objectFieldOffset(Buffer.class, "address"));
        return new Payload(b, address, b.capacity(), name);
    }

    /** A payload over native memory the caller owns ({@link RebuildWarmup}'s images). */
    static Payload ofMemory(long address, long length, String section) {
        return new Payload(null, address, length, section);
    }

    RestoreFailedException defect(long at, String what) {
        return new RestoreFailedException("section " + section + ": " + what
            + " (at payload offset 0x" + Long.toHexString(at) + ")");
    }

    /** Checks that {@code n} bytes exist at {@code at}. */
    void need(long at, long n, String what) throws RestoreFailedException {
        if (n < 0 || at + n > length) {
            throw defect(at, "truncated: " + what + " needs " + n + " bytes, " + (length - at) + " left");
        }
    }

    int u8At(long at) {
        return JdkUnsafe.getByte(base + at) & 0xFF;
    }

    int u32At(long at) {
        return JdkUnsafe.getIntLE(base + at);
    }

    // ---- control block (native-endian u64 words) ----

    /** Control word {@code w}. */
    long word(int w) {
        return JdkUnsafe.getLongLE(base + 8L * w);
    }

    /**
     * Sets control word {@code w} from {@code expected} to {@code value} with a volatile
     * compare-and-set: the reads before it are done before the agent sees the mark (the
     * agent then gives the memory below it back). Only one thread writes a word at a time.
     */
    void mark(int w, long expected, long value) {
        if (8L * w + 8 > length) return;
        JdkUnsafe.compareAndSetLong(null, base + 8L * w, expected, value);
    }

    // ---- bincode cursor ----

    int u8() throws RestoreFailedException {
        need(pos, 1, "u8");
        return u8At(pos++);
    }

    int u16() throws RestoreFailedException {
        need(pos, 2, "u16");
        int v = JdkUnsafe.getShortLE(base + pos) & 0xFFFF;
        pos += 2;
        return v;
    }

    int u32() throws RestoreFailedException {
        need(pos, 4, "u32");
        int v = u32At(pos);
        pos += 4;
        return v;
    }

    long u64() throws RestoreFailedException {
        need(pos, 8, "u64");
        long v = JdkUnsafe.getLongLE(base + pos);
        pos += 8;
        return v;
    }

    boolean bool() throws RestoreFailedException {
        int b = u8();
        if (b > 1) throw defect(pos - 1, "bool value " + b);
        return b == 1;
    }

    /** A u64 length no larger than the bytes left (each element takes at least one byte). */
    int length(String what) throws RestoreFailedException {
        long n = u64();
        if (n < 0 || n > length - pos || n > Integer.MAX_VALUE) throw defect(pos - 8, what + " length " + n + " exceeds the payload");
        return (int) n;
    }

    String string() throws RestoreFailedException {
        int n = length("string");
        need(pos, n, "string");
        byte[] b = new byte[n];
        JdkUnsafe.copyMemory(null, base + pos, b, JdkUnsafe.arrayBaseOffset(byte[].class), n);
        pos += n;
        return new String(b, StandardCharsets.UTF_8);
    }

    boolean option() throws RestoreFailedException {
        int tag = u8();
        if (tag > 1) throw defect(pos - 1, "option tag " + tag);
        return tag == 1;
    }

    void skip(long n) throws RestoreFailedException {
        need(pos, n, "bytes");
        pos += n;
    }

    void end() throws RestoreFailedException {
        if (pos != length) throw defect(pos, (length - pos) + " trailing bytes");
    }
}
