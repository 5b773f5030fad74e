#include <iostream>
#include <string>
#include <vector>

// True when every bracket in s is closed in the right order.
bool isBalanced(const std::string& s) {
    std::vector<char> stack;
    for (char ch : s) {
        if (ch == '(' || ch == '[' || ch == '{') {
            stack.push_back(ch);
        } else if (ch == ')' || ch == ']' || ch == '}') {
            char open = ch == ')' ? '(' : ch == ']' ? '[' : '{';
            if (stack.empty() || stack.back() != open) return false;
            stack.pop_back();
        }
    }
    return stack.empty();
}

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    std::getline(std::cin, line);
    int count = std::stoi(line);
    for (int k = 0; k < count; k++) {
        std::string s;
        std::getline(std::cin, s);
        if (!s.empty() && s.back() == '\r') s.pop_back();
        std::cout << (isBalanced(s) ? "true" : "false") << "\n";
    }
    return 0;
}
