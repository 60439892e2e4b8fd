package io.portacr.capture;

/**
 * A VM-bound object, written in the SYMREFS section and bound again on restore
 * (spec/contracts.md §6, enum SymbolicRef; variant numbers are the declaration order).
 */
final class SymbolicRef {
    static final int CLASS_MIRROR = 0;
    static final int PRIMITIVE_CLASS = 1;
    static final int STATIC_VALUE = 2;
    static final int STATIC_ARRAY_ELEMENT = 3;
    static final int LOADER = 4;
    static final int MODULE = 5;
    static final int UNNAMED_MODULE = 6;
    static final int CURRENT_THREAD = 7;
    static final int THREAD_GROUP = 8;

    final int variant;
    final String className; // StaticValue, StaticArrayElement
    final String name;      // field, module or thread group name
    final int number;       // class index, primitive descriptor, array index, loader variant
    final int loaderObject; // LoaderRef::Object id for Loader/UnnamedModule

    private SymbolicRef(int variant, String className, String name, int number, int loaderObject) {
        this.variant = variant;
        this.className = className;
        this.name = name;
        this.number = number;
        this.loaderObject = loaderObject;
    }

    static SymbolicRef classMirror(int classIndex) { return new SymbolicRef(CLASS_MIRROR, null, null, classIndex, 0); }
    static SymbolicRef primitiveClass(char descriptor) { return new SymbolicRef(PRIMITIVE_CLASS, null, null, descriptor, 0); }
    static SymbolicRef staticValue(String c, String f) { return new SymbolicRef(STATIC_VALUE, c, f, 0, 0); }
    static SymbolicRef staticArrayElement(String c, String f, int i) { return new SymbolicRef(STATIC_ARRAY_ELEMENT, c, f, i, 0); }
    static SymbolicRef loader(int loaderKind) { return new SymbolicRef(LOADER, null, null, loaderKind, 0); }
    static SymbolicRef module(String name) { return new SymbolicRef(MODULE, null, name, 0, 0); }
    static SymbolicRef unnamedModule(int loaderKind, int loaderObject) { return new SymbolicRef(UNNAMED_MODULE, null, null, loaderKind, loaderObject); }
    static SymbolicRef currentThread() { return new SymbolicRef(CURRENT_THREAD, null, null, 0, 0); }
    static SymbolicRef threadGroup(String name) { return new SymbolicRef(THREAD_GROUP, null, name, 0, 0); }

    static char primitiveDescriptor(Class<?> p) {
        if (p == int.class) return 'I';
        if (p == long.class) return 'J';
        if (p == boolean.class) return 'Z';
        if (p == byte.class) return 'B';
        if (p == char.class) return 'C';
        if (p == short.class) return 'S';
        if (p == float.class) return 'F';
        if (p == double.class) return 'D';
        return 'V';
    }

    void encode(BincodeWriter w) {
        w.variant(variant);
        switch (variant) {
            case CLASS_MIRROR: w.u32(number); break;
            case PRIMITIVE_CLASS: w.u8(number); break;
            case STATIC_VALUE: w.string(className).string(name); break;
            case STATIC_ARRAY_ELEMENT: w.string(className).string(name).u32(number); break;
            case LOADER:
            case UNNAMED_MODULE:
                w.variant(number);
                if (number == ClassTable.LOADER_OBJECT) w.u32(loaderObject);
                break;
            case MODULE:
            case THREAD_GROUP: w.string(name); break;
            default: break; // CurrentThread: no fields
        }
    }
}
