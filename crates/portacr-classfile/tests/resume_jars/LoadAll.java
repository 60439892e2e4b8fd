import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

// Loads and initializes every class under a directory (which forces the
// verifier over every method), and counts VerifyErrors. Other failures
// (missing optional dependencies, static initializers that need an
// environment) are counted apart: they are not about the rewriting.
public class LoadAll {
    public static void main(String[] args) throws Exception {
        Path root = Paths.get(args[0]);
        List<String> names;
        try (Stream<Path> files = Files.walk(root)) {
            names = files.filter(p -> p.toString().endsWith(".class"))
                .map(p -> root.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", ""))
                .filter(n -> !n.equals("module-info") && !n.endsWith("package-info"))
                .sorted()
                .collect(Collectors.toList());
        }
        URLClassLoader loader = new URLClassLoader(new URL[] {root.toUri().toURL()}, LoadAll.class.getClassLoader());
        int loaded = 0, verifyErrors = 0, other = 0;
        for (String name : names) {
            try {
                Class.forName(name, true, loader);
                loaded++;
            } catch (VerifyError e) {
                verifyErrors++;
                System.out.println("VerifyError " + name + ": " + e.getMessage());
            } catch (Throwable t) {
                other++;
            }
        }
        System.out.println("loaded " + loaded + " verifyErrors " + verifyErrors + " other " + other);
    }
}
