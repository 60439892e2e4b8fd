package io.portacr.capture;

import io.portacr.JdkUnsafe;

import io.portacr.Native;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Streams one section's payload to the agent in chunks of {@link #CHUNK} bytes, little-endian.
 *
 * <p>Why chunks: the OBJECTS payload is about as large as the live heap, and the
 * application's -Xmx may have no room for a second copy; the agent compresses and writes
 * each chunk as it arrives.
 */
final class SectionWriter {
    /** 2 MiB: large enough that the JNI crossing per chunk is noise, small enough for any heap. */
    static final int CHUNK = 2 << 20;

    private static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    private static final long BYTE_ARRAY_BASE = JdkUnsafe.UNAVAILABLE == null ? JdkUnsafe.arrayBaseOffset(byte[].class) : 0;

    private final byte[] buf;
    private int pos;
    private long written;
    private boolean open;
    /**
     * All ones, or 0 when bytes are only counted, never handed to the agent
     * ({@link CaptureWarmup}). A mask rather than a branch: the warm-up must take the same
     * branches as the real walk, or the walk's compiled code is thrown away at the real
     * walk's first flush (an uncommon trap, measured); the agent ignores a length of 0.
     */
    private final int handOverMask;
    private final boolean discard;

    SectionWriter() {
        this(false);
    }

    private SectionWriter(boolean discard) {
        this.discard = discard;
        this.handOverMask = discard ? 0 : -1;
        // A small buffer when discarding: the warm-up then takes the flush branches of every
        // writing method often, as the real walk does now and then.
        this.buf = new byte[discard ? 512 : CHUNK];
    }

    /** A writer whose sections go nowhere: the same encoding code runs, no Native call is made. */
    static SectionWriter discarding() {
        return new SectionWriter(true);
    }

    void begin(int kind) {
        if (!discard) Native.sectionBegin(kind);
        pos = 0;
        written = 0;
        open = true;
    }

    void end() {
        flush();
        if (!discard) Native.sectionEnd();
        open = false;
    }

    boolean isOpen() {
        return open;
    }

    /** Bytes of the current section handed over or buffered so far. */
    long size() {
        return written + pos;
    }

    private void flush() {
        if (pos > 0) {
            Native.sectionWrite(buf, 0, pos & handOverMask);
            written += pos;
            pos = 0;
        }
    }

    private void ensure(int n) {
        if (pos + n > buf.length) flush();
    }

    void u8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
    }

    void u16(int v) {
        ensure(2);
        SHORT_LE.set(buf, pos, (short) v);
        pos += 2;
    }

    void u32(int v) {
        ensure(4);
        INT_LE.set(buf, pos, v);
        pos += 4;
    }

    void u64(long v) {
        ensure(8);
        LONG_LE.set(buf, pos, v);
        pos += 8;
    }

    void bytes(byte[] b, int off, int len) {
        while (len > 0) {
            if (pos == buf.length) flush();
            int n = Math.min(len, buf.length - pos);
            System.arraycopy(b, off, buf, pos, n);
            pos += n;
            off += n;
            len -= n;
        }
    }

    /**
     * Copies the elements of a primitive array as little-endian bytes. On little-endian
     * hosts (x86_64, aarch64) the heap layout already is the wire layout, so the elements
     * are copied raw — float and double bits, NaN payloads included, are never converted.
     */
    void primitiveArray(Object array, long baseOffset, int elementSize, int length) {
        if (NATIVE_LITTLE_ENDIAN) {
            long remaining = (long) length * elementSize;
            long src = baseOffset;
            while (remaining > 0) {
                if (pos == buf.length) flush();
                int n = (int) Math.min(remaining, buf.length - pos);
                JdkUnsafe.copyMemory(array, src, buf, BYTE_ARRAY_BASE + pos, n);
                pos += n;
                src += n;
                remaining -= n;
            }
            return;
        }
        for (int i = 0; i < length; i++) {
            long at = baseOffset + (long) i * elementSize;
            switch (elementSize) {
                case 1: u8(JdkUnsafe.getByte(array, at)); break;
                case 2: u16(JdkUnsafe.getShort(array, at)); break;
                case 4: u32(JdkUnsafe.getInt(array, at)); break;
                default: u64(JdkUnsafe.getLong(array, at)); break;
            }
        }
    }
}
