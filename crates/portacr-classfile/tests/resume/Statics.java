public class Statics {
    static int counter = compute();
    static String name = "orig";
    static int compute() { System.out.println("clinit ran"); return 1; }
}
