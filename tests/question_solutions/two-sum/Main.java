import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.util.StringTokenizer;

public class Main {
    // Return {i, j} with i < j and nums[i] + nums[j] == target.
    static int[] twoSum(long[] nums, long target) {
        java.util.HashMap<Long, Integer> seen = new java.util.HashMap<>();
        for (int j = 0; j < nums.length; j++) {
            Integer i = seen.get(target - nums[j]);
            if (i != null) return new int[] {i, j};
            seen.put(nums[j], j);
        }
        return new int[] {-1, -1};
    }

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        StringTokenizer words = new StringTokenizer(in.readLine());
        long[] nums = new long[words.countTokens()];
        for (int k = 0; k < nums.length; k++) {
            nums[k] = Long.parseLong(words.nextToken());
        }
        long target = Long.parseLong(in.readLine().trim());
        int[] pair = twoSum(nums, target);
        System.out.println(pair[0] + " " + pair[1]);
    }
}
