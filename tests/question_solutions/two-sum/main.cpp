#include <iostream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

// Return {i, j} with i < j and nums[i] + nums[j] == target.
std::pair<int, int> twoSum(const std::vector<long long>& nums, long long target) {
    std::unordered_map<long long, int> seen;
    for (int j = 0; j < (int)nums.size(); j++) {
        auto found = seen.find(target - nums[j]);
        if (found != seen.end()) return {found->second, j};
        seen[nums[j]] = j;
    }
    return {-1, -1};
}

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    std::getline(std::cin, line);
    std::istringstream words(line);
    std::vector<long long> nums;
    for (long long number; words >> number;) nums.push_back(number);
    long long target;
    std::cin >> target;
    auto [i, j] = twoSum(nums, target);
    std::cout << i << " " << j << "\n";
    return 0;
}
