def solve(nums, target):
    seen = {}
    for j, number in enumerate(nums):
        i = seen.get(target - number)
        if i is not None:
            return [i, j]
        seen[number] = j
    return None
