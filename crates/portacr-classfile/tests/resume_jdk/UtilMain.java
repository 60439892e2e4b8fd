import java.util.*;
import java.util.stream.*;

// Exercises java.util; prints a digest of the results.
public class UtilMain {
    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder();
        Map<String, Integer> map = new HashMap<>();
        TreeMap<Integer, String> tree = new TreeMap<>();
        List<Integer> list = new ArrayList<>();
        Deque<Integer> deque = new ArrayDeque<>();
        LinkedList<String> linked = new LinkedList<>();
        PriorityQueue<Integer> heap = new PriorityQueue<>(Comparator.reverseOrder());
        BitSet bits = new BitSet();
        Random random = new Random(42);
        for (int i = 0; i < 2000; i++) {
            int v = random.nextInt(1000);
            map.merge("k" + (v % 97), v, Integer::sum);
            tree.put(v, "v" + i);
            list.add(v);
            deque.addFirst(v);
            if (i % 3 == 0) linked.add(Integer.toHexString(v));
            heap.add(v);
            bits.set(v);
        }
        Collections.sort(list);
        int[] array = list.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(array);
        out.append(map.size()).append(',').append(new TreeMap<>(map).firstEntry()).append(',');
        out.append(tree.headMap(100).size()).append(',').append(tree.lastKey()).append(',');
        out.append(list.get(1000)).append(',').append(Arrays.binarySearch(array, array[777])).append(',');
        out.append(deque.peekLast()).append(',').append(linked.size()).append(',').append(heap.poll()).append(',');
        out.append(bits.cardinality()).append(',');
        out.append(String.format("%08.3f|%-5s|%x", 3.14159, "ab", 255)).append(',');
        out.append(new StringJoiner("-", "[", "]").add("a").add("b")).append(',');
        out.append(Optional.of(5).map(x -> x * 2).orElse(0)).append(',');
        out.append(UUID.nameUUIDFromBytes("portacr".getBytes())).append(',');
        out.append(Base64.getEncoder().encodeToString("resume".getBytes())).append(',');
        out.append(Objects.hash(1, "two", 3.0)).append(',');
        Map<Integer, Long> groups = IntStream.range(0, 100).boxed().collect(Collectors.groupingBy(x -> x % 7, TreeMap::new, Collectors.counting()));
        out.append(groups);
        Properties properties = new Properties();
        properties.load(new java.io.StringReader("a=1\nb=2\n"));
        out.append(',').append(new TreeMap<>(properties));
        System.out.println(out);
        if (args.length > 0) {
            long calls = Class.forName("io.portacr.restore.Resume").getField("calls").getLong(null);
            System.out.println("prologues ran: " + (calls > 1000));
        }
    }
}
