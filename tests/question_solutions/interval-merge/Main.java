import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.StringTokenizer;

public class Main {
    // Merge overlapping or touching intervals ({start, end}); return them sorted by start.
    static List<long[]> merge(List<long[]> intervals) {
        List<long[]> sorted = new ArrayList<>(intervals);
        sorted.sort((a, b) -> Long.compare(a[0], b[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] interval : sorted) {
            long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && interval[0] <= last[1]) {
                last[1] = Math.max(last[1], interval[1]);
            } else {
                merged.add(new long[] {interval[0], interval[1]});
            }
        }
        return merged;
    }

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        int count = Integer.parseInt(in.readLine().trim());
        List<long[]> intervals = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            StringTokenizer words = new StringTokenizer(in.readLine());
            intervals.add(new long[] {
                Long.parseLong(words.nextToken()), Long.parseLong(words.nextToken())
            });
        }
        StringBuilder out = new StringBuilder();
        for (long[] interval : merge(intervals)) {
            out.append(interval[0]).append(' ').append(interval[1]).append('\n');
        }
        System.out.print(out);
    }
}
