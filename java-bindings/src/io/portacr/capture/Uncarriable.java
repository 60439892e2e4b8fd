package io.portacr.capture;

import io.portacr.JdkUnsafe;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.RandomAccessFile;
import java.nio.Buffer;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The one list of objects an image cannot carry (spec/semantics.md §2.3): each is bound
 * to a resource of this process that does not exist in another one. Reaching one fails
 * the checkpoint with the reference path to it.
 *
 * <ul>
 *   <li>{@code java.io.FileDescriptor} that is open (fd ≥ 0). The standard streams'
 *       descriptors are values of JDK static fields and so never get here: they are
 *       written as symbolic references.</li>
 *   <li>{@code FileInputStream}, {@code FileOutputStream}, {@code RandomAccessFile} (and
 *       subclasses) holding an open descriptor — reported with the file's path. Sockets and
 *       NIO channels (file, socket, pipe) hold a {@code FileDescriptor} and are caught by
 *       the first rule one step further down the path.</li>
 *   <li>Direct and mapped {@code java.nio.Buffer}s: their memory is off the Java heap.</li>
 *   <li>{@code Inflater} / {@code Deflater} with a live native zlib stream.</li>
 *   <li>Live threads other than the checkpointing one (checked by the walker, which knows
 *       the current thread).</li>
 *   <li>Handles bound to this JVM's layout and method entries: {@code VarHandle}s and
 *       {@code MethodHandle}s (field offsets, array base offsets, VM method pointers in
 *       injected fields) and {@code Atomic*FieldUpdater}s (a field offset, no field name).
 *       Copied as plain objects they would carry offsets into another JVM, where they point
 *       elsewhere, and nothing in them names the member to look up again. The JDK's own
 *       handles are values of JDK static fields and so symbolic; this rule meets the
 *       application's own. (Carrying them needs symbolic references naming class and member,
 *       a contract change.) {@code java.lang.reflect} {@code Method}/{@code Field}/
 *       {@code Constructor} are carried: they name their member (class, name, parameter
 *       types), their cached accessors are cut (ClassTable.isCutField), and restore must
 *       look their {@code slot} up again for the target's class bytes. They must be carried:
 *       the org.crac facade and every dynamic proxy class keep Methods in statics.</li>
 * </ul>
 * Not detectable, therefore not in the list: raw addresses from
 * {@code Unsafe.allocateMemory} kept in a {@code long}, native library handles.
 */
final class Uncarriable {
    private Uncarriable() {}

    static final int NONE = 0;
    static final int FILE_DESCRIPTOR = 1;
    static final int FILE_STREAM = 2;
    static final int BUFFER = 3;
    static final int ZLIB = 4;
    static final int VM_HANDLE = 5;

    private static final long FD_FD = offset(FileDescriptor.class, "fd");
    private static final long FIS_FD = offset(FileInputStream.class, "fd");
    private static final long FIS_PATH = offset(FileInputStream.class, "path");
    private static final long FOS_FD = offset(FileOutputStream.class, "fd");
    private static final long FOS_PATH = offset(FileOutputStream.class, "path");
    private static final long RAF_FD = offset(RandomAccessFile.class, "fd");
    private static final long RAF_PATH = offset(RandomAccessFile.class, "path");
    private static final long BUFFER_ADDRESS = offset(Buffer.class, "address");
    private static final long INFLATER_ZSREF = offset(Inflater.class, "zsRef");
    private static final long DEFLATER_ZSREF = offset(Deflater.class, "zsRef");

    private static long offset(Class<?> c, String field) {
        try {
            return JdkUnsafe.objectFieldOffset(c, field);
        } catch (Throwable t) {
            return -1; // a JDK without this field: the check falls back to "uncarriable"
        }
    }

    /** The check that applies to instances of a class. */
    static int checkFor(Class<?> c) {
        if (c == FileDescriptor.class) return FILE_DESCRIPTOR;
        if (FileInputStream.class.isAssignableFrom(c) || FileOutputStream.class.isAssignableFrom(c)
                || RandomAccessFile.class.isAssignableFrom(c)) return FILE_STREAM;
        if (Buffer.class.isAssignableFrom(c)) return BUFFER;
        if (Inflater.class.isAssignableFrom(c) || Deflater.class.isAssignableFrom(c)) return ZLIB;
        if (java.lang.invoke.VarHandle.class.isAssignableFrom(c) || java.lang.invoke.MethodHandle.class.isAssignableFrom(c)
                || java.util.concurrent.atomic.AtomicIntegerFieldUpdater.class.isAssignableFrom(c)
                || java.util.concurrent.atomic.AtomicLongFieldUpdater.class.isAssignableFrom(c)
                || java.util.concurrent.atomic.AtomicReferenceFieldUpdater.class.isAssignableFrom(c)) return VM_HANDLE;
        return NONE;
    }

    /** Null if the object can be carried, else a description such as {@code FileInputStream /tmp/x (open file descriptor 7)}. */
    static String describe(Object o, int check) {
        switch (check) {
            case FILE_DESCRIPTOR: {
                int fd = JdkUnsafe.getInt(o, FD_FD);
                return fd >= 0 ? "FileDescriptor (open file descriptor " + fd + ")" : null;
            }
            case FILE_STREAM: {
                long fdAt, pathAt;
                if (o instanceof FileInputStream) { fdAt = FIS_FD; pathAt = FIS_PATH; }
                else if (o instanceof FileOutputStream) { fdAt = FOS_FD; pathAt = FOS_PATH; }
                else { fdAt = RAF_FD; pathAt = RAF_PATH; }
                Object fdObject = fdAt < 0 ? null : JdkUnsafe.getReference(o, fdAt);
                if (fdObject == null) return null;
                int fd = JdkUnsafe.getInt(fdObject, FD_FD);
                if (fd < 0) return null;
                // A stream over a standard descriptor (new FileOutputStream(FileDescriptor.out))
                // is carried: the descriptor itself is a JDK static value, bound again on restore.
                if (fdObject == FileDescriptor.in || fdObject == FileDescriptor.out || fdObject == FileDescriptor.err) return null;
                Object path = pathAt < 0 ? null : JdkUnsafe.getReference(o, pathAt);
                return ClassTable.simpleName(o.getClass()) + (path != null ? " " + path : "")
                    + " (open file descriptor " + fd + ")";
            }
            case BUFFER: {
                if (!((Buffer) o).isDirect()) return null;
                long address = BUFFER_ADDRESS < 0 ? 0 : JdkUnsafe.getLong(o, BUFFER_ADDRESS);
                return ClassTable.simpleName(o.getClass()) + " (off-heap memory at 0x" + Long.toHexString(address)
                    + ", capacity " + ((Buffer) o).capacity() + ")";
            }
            case ZLIB: {
                long at = o instanceof Inflater ? INFLATER_ZSREF : DEFLATER_ZSREF;
                if (at >= 0) {
                    Object ref = JdkUnsafe.getReference(o, at);
                    if (ref == null) return null;
                    long address;
                    try {
                        address = JdkUnsafe.getLong(ref, JdkUnsafe.objectFieldOffset(ref.getClass(), "address"));
                    } catch (Throwable t) {
                        address = -1;
                    }
                    if (address == 0) return null; // end() was called: no native state left
                }
                return ClassTable.simpleName(o.getClass()) + " (native zlib stream)";
            }
            case VM_HANDLE:
                return handleName(o) + " (bound to this JVM's field offsets or method entries)";
            default:
                return null;
        }
    }

    private static String handleName(Object o) {
        if (o instanceof java.lang.invoke.VarHandle) return "VarHandle " + o;
        if (o instanceof java.lang.invoke.MethodHandle) return "MethodHandle " + ((java.lang.invoke.MethodHandle) o).type();
        return ClassTable.simpleName(o.getClass());
    }
}
