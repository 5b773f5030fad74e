#include <algorithm>
#include <iostream>
#include <utility>
#include <vector>

using Interval = std::pair<long long, long long>;

// Merge overlapping or touching intervals; return them sorted by start.
std::vector<Interval> merge(std::vector<Interval> intervals) {
    std::sort(intervals.begin(), intervals.end());
    std::vector<Interval> merged;
    for (const auto& [start, end] : intervals) {
        if (!merged.empty() && start <= merged.back().second) {
            merged.back().second = std::max(merged.back().second, end);
        } else {
            merged.push_back({start, end});
        }
    }
    return merged;
}

int main() {
    std::ios::sync_with_stdio(false);
    int count = 0;
    std::cin >> count;
    std::vector<Interval> intervals(count);
    for (auto& [start, end] : intervals) std::cin >> start >> end;
    for (const auto& [start, end] : merge(intervals)) {
        std::cout << start << " " << end << "\n";
    }
    return 0;
}
